// Registry helpers for the integration tests: how many records a JetStream registry bucket holds.
import { connect } from 'nats';

/** Records in the bucket now; 0 while it does not exist. */
export async function registryCount(url: string, bucket = 'troupe_registry'): Promise<number> {
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

/** Waits until `n` records are in the bucket. */
export async function waitForRegistry(url: string, n: number, timeoutMs = 20_000, bucket?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await registryCount(url, bucket);
    if (count >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${n} nodes registered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `probe` until it returns true; throws with `what` after `timeoutMs`. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
