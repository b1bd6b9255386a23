// A 3-broker site (one cluster) with simulated nodes spread over its brokers, each sim given one broker's URL only
// (the rest it learns from the cluster), for the tests that take brokers away.
import { startSupercluster, type LocalSupercluster } from '../../src/devkit/supercluster.js';
import { generateFleet } from '../../src/server/fleet.js';
import { scratchDir, startSim, type RunningSim, type Scratch } from './mco.js';

export interface ClusterFleet {
  sc: LocalSupercluster;
  urls: string[];
  /** Identities of the nodes that first connected to broker i. */
  nodesOf: string[][];
  sims: RunningSim[];
  scratch: Scratch;
  /** The cluster whole again (after a restart); when it is not, the brokers' logs are in the error. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Lame-duck timings for a test: the broker warns, waits 8 s (the 1 s spread plus a loaded machine's slow moves), then evicts those left over 30 s (nats-server's least). */
export const TEST_LAME_DUCK = 'lame_duck_grace_period: 8s\nlame_duck_duration: 30s';

export async function startClusterFleet(o: { nodesPerBroker: number; keys?: Record<string, string | number> }): Promise<ClusterFleet> {
  const scratch = scratchDir('troupe-cluster-');
  const sc = await startSupercluster({ sites: [{ name: 'ams' }], jetstream: false, config: TEST_LAME_DUCK });
  const urls = sc.site('ams').urls;
  const config = scratch.config('sim.cfg', {
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registerinterval: 0,
    'plugin.nats.max_reconnect_wait': 1,
    'plugin.nats.lame_duck_spread': 1,
    ...o.keys,
  });
  const nodesOf = urls.map((_, i) => generateFleet(o.nodesPerBroker, `b${i + 1}`).nodes.map((n) => n.identity));
  const started = await Promise.allSettled(
    urls.map((url, i) => startSim(['--nodes', String(o.nodesPerBroker), '--prefix', `b${i + 1}`, '--server', url, '-c', config])),
  );
  const sims = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await sc.stop();
    scratch.cleanup();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const ready = () =>
    sc.ready().catch((err: Error) => {
      const logs = sc.servers.map((x) => `--- ${x.name}\n${x.server.log.slice(-2000)}`).join('\n');
      throw new Error(`${err.message}\n${logs}`);
    });
  return { sc, urls, nodesOf, sims, scratch, ready, stop };
}
