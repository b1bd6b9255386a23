// The registry's settings from configuration, shared by `mco server run` and `mco sim`.
import type { Config } from '../config/index.js';
import { RegistryBucket } from '../transport/nats-registry.js';

/** The bucket a node registers in; created with these settings when the first node finds it missing. */
export function registryBucketFromConfig(config: Config): RegistryBucket {
  return new RegistryBucket({
    name: config.get('registry_bucket'),
    maxAgeMs: config.get('registry_max_age') * 1000,
    replicas: config.get('registry_replicas'),
  });
}
