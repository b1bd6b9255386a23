// The registry's settings from configuration, shared by `mco server run` and `mco sim`.
import type { Config } from '../config/index.js';
import { RegistryBucket, registryBucketName } from '../transport/nats-registry.js';

/**
 * The bucket a node registers in, its site's when it has one; created with these settings when the first node finds
 * it missing, and placed in the JetStream cluster named after the site.
 */
export function registryBucketFromConfig(config: Config): RegistryBucket {
  const site = config.get('site');
  return new RegistryBucket({
    name: registryBucketName(config.get('registry_bucket'), site),
    maxAgeMs: config.get('registry_max_age') * 1000,
    replicas: config.get('registry_replicas'),
    ...(site ? { placement: site } : {}),
  });
}
