// On a three-broker JetStream cluster, `registry_replicas = 3` keeps the registry readable when one broker is lost.
import { afterAll, beforeAll, it } from 'vitest';
import { LocalNatsServer, freePort } from '../../helpers/broker.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { eventually } from './registry.js';

const NODES = 12;
let brokers: LocalNatsServer[] = [];
let sim: RunningSim | undefined;
const scratch = scratchDir('troupe-registry-cluster-');
let client: string;

const found = async () => {
  const r = await runMco(['find', '--dm', 'registry', '--config', client]);
  return r.stdout.split('\n').filter(Boolean).length;
};

beforeAll(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  brokers = ports.map(
    (port, i) => new LocalNatsServer({ jetstream: true, cluster: { name: 'registry', port, routes: ports.filter((_, j) => j !== i) } }),
  );
  await Promise.all(brokers.map((b) => b.start()));
  const urls = brokers.map((b) => b.url).join(',');
  client = scratch.file('client.cfg', `middleware_hosts = ${urls}\nsecurityprovider = insecure\n`);
  const server = scratch.file(
    'server.cfg',
    `middleware_hosts = ${urls}\nsecurityprovider = insecure\nregistration_splay = 0\nregistry_replicas = 3\n`,
  );
  // JetStream elects its cluster leader after the routes are up: the first registrations may fail and be retried.
  sim = await startSim(['--nodes', String(NODES), '--config', server]);
  await eventually('every node registered', async () => (await found()) === NODES, 30_000);
});

afterAll(async () => {
  await sim?.stop();
  await Promise.all(brokers.map((b) => b.stop()));
  scratch.cleanup();
});

it('the registry survives the loss of one broker', { timeout: 90_000 }, async () => {
  await brokers[0]!.kill();
  // New leaders (of the cluster, of the bucket's stream) take a few seconds to elect; then every record is there.
  await eventually('registry readable again with every record', async () => (await found()) === NODES, 60_000);
});
