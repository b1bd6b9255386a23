// The discovery methods troupe ships, by name; a new one is a file beside these and one entry here.
import { broadcastDiscovery } from './broadcast.js';
import { flatfileDiscovery } from './flatfile.js';
import { DiscoveryMethods } from './methods.js';
import { registryDiscovery } from './registry.js';

export const DISCOVERY_METHODS = new DiscoveryMethods([broadcastDiscovery, flatfileDiscovery, registryDiscovery]);
