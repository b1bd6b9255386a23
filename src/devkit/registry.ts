// Watching a fleet fill the registry, for the benchmark and the tests.
import { connect } from 'nats';

export const REGISTRY_BUCKET = 'troupe_registry';

/** Records the registry bucket holds now (0 while it does not exist yet). */
export async function registryCount(url: string, bucket = REGISTRY_BUCKET): Promise<number> {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
  try {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(`KV_${bucket}`)).state.messages;
  } catch {
    return 0;
  } finally {
    await nc.close();
  }
}

/** Resolves, with the time it took, once `n` records are in the bucket; throws after `timeoutMs`. */
export async function waitForRegistry(url: string, n: number, timeoutMs: number, bucket = REGISTRY_BUCKET, pollMs = 250): Promise<number> {
  const started = performance.now();
  for (;;) {
    const count = await registryCount(url, bucket);
    if (count >= n) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`only ${count} of ${n} nodes registered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
