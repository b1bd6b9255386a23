// The 60-node fleet the core integration tests run against, and the broker and sim that carry it.
import { generateFleet, type VirtualNode } from '../../../src/server/fleet.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { runMco, scratchDir, startSim, type McoResult, type RunningSim } from '../../helpers/mco.js';

export const FLEET_SIZE = 60;

/**
 * generateFleet's varied facts (role, os, processors.count, puppetversion, site…), plus:
 * db nodes advertise an agent no build ships, `frobnicator` (for -A), and have a second mount in their `mounts`
 * fact (an object keyed by mount point); the first ten also join the `dev` collective (for -T).
 */
export function testFleet(): VirtualNode[] {
  return generateFleet(FLEET_SIZE).nodes.map((n, i) => ({
    ...n,
    facts: { ...n.facts, mounts: n.facts!.role === 'db' ? { '/': 'ext4', '/var/lib/postgresql': 'xfs' } : { '/': 'ext4' } },
    agents: n.facts!.role === 'db' ? ['rpcutil', 'frobnicator'] : undefined,
    collectives: i < 10 ? ['mcollective', 'dev'] : ['mcollective'],
  }));
}

/** Identities of the nodes `pick` selects, sorted as mco prints them. */
export function identitiesWhere(pick: (n: VirtualNode) => boolean): string[] {
  return testFleet()
    .filter(pick)
    .map((n) => n.identity)
    .sort();
}

export const fact = (n: VirtualNode, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], n.facts);

export interface FleetEnv {
  broker: LocalNatsServer;
  sim: RunningSim;
  config: string;
  scratch: ReturnType<typeof scratchDir>;
  mco(args: string[], opts?: Parameters<typeof runMco>[1]): Promise<McoResult>;
  stop(): Promise<void>;
}

/** A private broker, the test fleet in one `mco sim`, and a client config for both collectives. */
export async function startFleet(): Promise<FleetEnv> {
  const broker = await startNatsServer();
  const scratch = scratchDir();
  let sim: RunningSim | undefined;
  try {
    const fleetFile = scratch.file('fleet.json', JSON.stringify({ nodes: testFleet() }));
    sim = await startSim(['--fleet', fleetFile, '--server', broker.url, '--collective', 'mcollective,dev']);
    const config = clientConfig(scratch, broker.url, { collectives: 'mcollective,dev' });
    const started = sim;
    return {
      broker,
      sim,
      config,
      scratch,
      mco: (args, opts) => runMco([...args, '--config', config], opts),
      async stop() {
        await started.stop();
        await broker.stop();
        scratch.cleanup();
      },
    };
  } catch (err) {
    await sim?.stop();
    await broker.stop();
    scratch.cleanup();
    throw err;
  }
}

/** A client config in `scratch`: the broker, a short quiet window, and any extra keys. */
export function clientConfig(
  scratch: ReturnType<typeof scratchDir>,
  url: string,
  extra: Record<string, string | number> = {},
  name = 'client.cfg',
): string {
  const keys = { middleware_hosts: url, discovery_timeout: 2, discovery_quiet_window: 0.2, securityprovider: 'insecure', ...extra };
  return scratch.config(name, keys);
}

/** The identities printed one per line (mco find, --discovery-only). */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Senders in a `--json` rpc report. */
export function sendersOf(stdout: string): string[] {
  return (JSON.parse(stdout) as { replies: Array<{ sender: string }> }).replies.map((r) => r.sender).sort();
}
