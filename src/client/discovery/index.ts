export * from './method.js';
export { BroadcastDiscovery } from './broadcast.js';
export { FlatfileDiscovery, readNodesFile } from './flatfile.js';
export { RegistryDiscovery, queryRegistry, registeredNode, type RegistrySource, type RegistryEntry, type RegisteredNode } from './registry.js';
export { ExpectFromRegistry } from './expect.js';
