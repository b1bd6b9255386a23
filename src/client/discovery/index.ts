export * from './method.js';
export { BroadcastDiscovery } from './broadcast.js';
export { FlatfileDiscovery, readNodesFile } from './flatfile.js';
