// Registry discovery as the benchmark measures it: a running fleet registers into the broker's JetStream
// key-value bucket, then `mco find --dm registry -F <filter>` answers from it with no broadcast.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForRegistry } from '../src/devkit/registry.js';
import { runMco } from './lib/processes.js';

export interface RegistryDiscoveryRun {
  /** Spawn to exit of `mco find`, process start-up included. */
  wallMs: number;
  /** The search itself, as `mco find -v` reports it (connecting excluded). */
  discoveryMs: number;
  found: number;
  maxRssMB: number;
}

/**
 * Waits until the fleet of `n` nodes has registered, then times `mco find --dm registry -F <filter>` (no -F when
 * `filter` is empty). The fleet must run with registration on (`registerinterval` > 0) against a JetStream broker.
 */
export async function registryDiscovery(url: string, n: number, filter: string): Promise<RegistryDiscoveryRun> {
  await waitForRegistry(url, n, 120_000);
  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-registry-'));
  try {
    const config = join(dir, 'client.cfg');
    writeFileSync(config, `middleware_hosts = ${url}\nsecurityprovider = insecure\n`);
    const args = ['find', '--dm', 'registry', '--config', config, '-v', ...(filter ? ['-F', filter] : [])];
    const run = await runMco(args);
    if (run.code !== 0 && run.code !== 1) throw new Error(`mco find --dm registry failed (${run.code}): ${run.stderr.trim()}`);
    const m = /Discovered \d+ nodes in ([\d.]+) seconds/.exec(run.stderr);
    const found = run.stdout.split('\n').filter(Boolean).length;
    return { wallMs: run.wallMs, discoveryMs: m ? Number(m[1]) * 1000 : Number.NaN, found, maxRssMB: run.maxRssMB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
