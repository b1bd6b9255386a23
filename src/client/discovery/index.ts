export * from './method.js';
export * from './methods.js';
export { DISCOVERY_METHODS } from './builtin.js';
export { BroadcastDiscovery, broadcastDiscovery } from './broadcast.js';
export { FlatfileDiscovery, flatfileDiscovery, readNodesFile } from './flatfile.js';
export {
  RegistryDiscovery,
  registryDiscovery,
  queryRegistry,
  registeredNode,
  type RegistrySource,
  type RegistryEntry,
  type RegisteredNode,
} from './registry.js';
export { ExpectFromRegistry } from './expect.js';
export { SitesRegistry, parseRegistrySites, type RegistrySite, type SiteSource } from './sites.js';
