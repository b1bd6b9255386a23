// A registry per site over a supercluster of real nats-servers: ams, lon and nyc joined by gateways (one JetStream
// domain, a bucket per site placed in the site's cluster) and edge, a leaf site of ams with a JetStream domain of its
// own. Simulated nodes register at each site; `mco` at ams reads every site (discovery, inventory --registry), and
// names the one that is lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSupercluster, type LocalSupercluster } from '../../../src/devkit/supercluster.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { eventually } from './registry.js';

const SITES = ['ams', 'lon', 'nyc', 'edge'] as const;
const PER_SITE = 3;
const scratch = scratchDir('troupe-registry-sites-');
let sc: LocalSupercluster;
const sims: RunningSim[] = [];
let client: string;

const identities = (site: string) => Array.from({ length: PER_SITE }, (_, i) => `${site}-${String(i + 1).padStart(5, '0')}.example.net`);
const everyNode = SITES.flatMap(identities).sort();
const listed = (stdout: string) => stdout.split('\n').filter(Boolean).sort();

beforeAll(async () => {
  sc = await startSupercluster({
    sites: [{ name: 'ams' }, { name: 'lon' }, { name: 'nyc' }, { name: 'edge', leafOf: 'ams', brokers: 1 }],
    cuttableWan: true,
  });
  for (const site of SITES) {
    const cfg = scratch.file(
      `${site}.cfg`,
      [
        `middleware_hosts = ${sc.site(site).urls.join(',')}`,
        'securityprovider = insecure',
        'plugin.actionpolicy.allow_unconfigured = 1',
        'registration_splay = 0',
        'registerinterval = 5',
        'registry_replicas = 3',
        `site = ${site}`,
      ].join('\n'),
    );
    sims.push(await startSim(['--nodes', String(PER_SITE), '--prefix', site, '--config', cfg]));
  }
  client = scratch.file(
    'client.cfg',
    [
      `middleware_hosts = ${sc.site('ams').urls.join(',')}`,
      'securityprovider = insecure',
      'registry_sites = ams, lon, nyc, edge@edge',
      'registry_site_timeout = 2',
    ].join('\n'),
  );
  let last = '';
  // Settled means every node listed with every site answering, twice running: just after the buckets are made, the
  // shared JetStream still elects their stream leaders, and a read then may stall once after a full one.
  let fullReads = 0;
  await eventually(
    'every site registered and answering',
    async () => {
      const r = await runMco(['find', '--dm', 'registry', '--config', client]);
      last = `${r.code}\n${r.stdout}\n${r.stderr}`;
      fullReads = r.code === 0 && JSON.stringify(listed(r.stdout)) === JSON.stringify(everyNode) ? fullReads + 1 : 0;
      return fullReads >= 2;
    },
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${last}`);
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  await sc?.stop();
  scratch.cleanup();
});

it('--dm registry from ams lists the nodes of all four sites', async () => {
  const r = await runMco(['find', '--dm', 'registry', '--config', client]);
  expect(r.code, r.stderr).toBe(0);
  expect(listed(r.stdout)).toEqual(everyNode);
});

it('inventory --registry from ams reads a node of a leaf site, and says nothing on stderr when every site answers', async () => {
  const r = await runMco(['inventory', 'edge-00002.example.net', '--registry', '--config', client]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('Inventory for edge-00002.example.net');
  expect(r.stderr).toBe('');
});

it('a lost site is named, the others keep answering, and it answers again once back', { timeout: 120_000 }, async () => {
  await sc.killSite('nyc');
  // The gateway sites share one JetStream meta group: when the lost site held its leader, reads everywhere in the
  // domain wait for a new one (seconds). Then only nyc is missing.
  const others = everyNode.filter((id) => !id.startsWith('nyc'));
  await eventually(
    'every site but nyc answers',
    async () => {
      const found = await runMco(['find', '--dm', 'registry', '--config', client]);
      return (
        found.code === 2 && JSON.stringify(listed(found.stdout)) === JSON.stringify(others) && !/site (ams|lon|edge)/.test(found.stderr)
      );
    },
    60_000,
  );
  let r = { code: null as number | null, stdout: '', stderr: '' };
  await eventually(
    'the rpc reaches every node but nyc',
    async () => {
      r = await runMco(['rpc', 'rpcutil', 'ping', '--dm', 'registry', '--config', client], { timeoutMs: 60_000 });
      return r.code === 2 && others.every((id) => r.stdout.includes(id));
    },
    60_000,
  );
  expect(r.stderr).toMatch(/registry: site nyc did not answer \(/);
  expect(r.stdout).not.toContain('nyc-0');

  // inventory --registry names the lost site as discovery does: a node found elsewhere exits 2 (nyc may hold a
  // newer record of it), a node at nyc is not found among the sites that answered and exits 3.
  const found = await runMco(['inventory', 'lon-00001.example.net', '--registry', '--config', client]);
  expect(found.code, found.stderr).toBe(2);
  expect(found.stdout).toContain('Inventory for lon-00001.example.net');
  expect(found.stderr).toMatch(/^mco: registry: site nyc did not answer \(/m);
  expect(found.stderr).not.toMatch(/site (ams|lon|edge)/);
  const atNyc = await runMco(['inventory', 'nyc-00001.example.net', '--registry', '--config', client]);
  expect(atNyc.code, atNyc.stderr).toBe(3);
  expect(atNyc.stderr).toContain('nyc-00001.example.net is not in the registry of the sites that answered');
  expect(atNyc.stderr).toMatch(/^mco: registry: site nyc did not answer \(/m);

  await sc.restartSite('nyc');
  await eventually(
    'nyc answers again',
    async () => {
      const again = await runMco(['find', '--dm', 'registry', '--config', client]);
      return again.code === 0 && JSON.stringify(listed(again.stdout)) === JSON.stringify(everyNode);
    },
    60_000,
  );
});

it('the WAN between ams and nyc cut: ams names nyc and reads the rest, and healing brings nyc back', { timeout: 150_000 }, async () => {
  const atLon = scratch.file(
    'client-lon.cfg',
    [
      `middleware_hosts = ${sc.site('lon').urls.join(',')}`,
      'securityprovider = insecure',
      'registry_sites = ams, lon, nyc, edge@edge',
      'registry_site_timeout = 2',
    ].join('\n'),
  );
  sc.cutWan('ams', 'nyc');
  const others = everyNode.filter((id) => !id.startsWith('nyc'));
  await eventually(
    'ams reads every site but nyc',
    async () => {
      const found = await runMco(['find', '--dm', 'registry', '--config', client]);
      return (
        found.code === 2 && JSON.stringify(listed(found.stdout)) === JSON.stringify(others) && /site nyc did not answer/.test(found.stderr)
      );
    },
    60_000,
  );
  // lon's gateways to nyc are up, but the sites share one JetStream meta group: reading nyc from lon needs the meta
  // leader to reach nyc, which it does not when it is at ams. What lon sees depends on where the leader is; not asserted.
  const fromLon = await runMco(['find', '--dm', 'registry', '--config', atLon]);
  expect([0, 2], fromLon.stderr).toContain(fromLon.code); // an answer either way, never a hang

  sc.healWan('ams', 'nyc');
  await sc.ready(30_000);
  await eventually(
    'ams reads nyc again',
    async () => {
      const again = await runMco(['find', '--dm', 'registry', '--config', client]);
      return again.code === 0 && JSON.stringify(listed(again.stdout)) === JSON.stringify(everyNode);
    },
    60_000,
  );
});
