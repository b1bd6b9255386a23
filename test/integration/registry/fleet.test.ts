// A simulated fleet registers into a JetStream registry; registry discovery, facts, inventory and expected counts
// are served from it and agree with what the nodes themselves answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type FactsJson } from '../../helpers/json.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { generateFleet } from '../../../src/server/fleet.js';
import { waitForRegistry } from './registry.js';

const FLEET_SIZE = 60;
/** Generated nodes with varied facts; db nodes advertise the puppet agent, the first ten also join `dev`. */
const testFleet = () =>
  generateFleet(FLEET_SIZE).nodes.map((n, i) => ({
    ...n,
    agents: n.facts!.role === 'db' ? ['rpcutil', 'puppet'] : ['rpcutil'],
    collectives: i < 10 ? ['mcollective', 'dev'] : ['mcollective'],
  }));
const identitiesWhere = (pick: (n: ReturnType<typeof testFleet>[number]) => boolean) =>
  testFleet()
    .filter(pick)
    .map((n) => n.identity)
    .sort();
const fact = (n: { facts?: Record<string, unknown> }, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], n.facts);
const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

let broker: LocalNatsServer;
let sim: RunningSim | undefined;
let scratch: ReturnType<typeof scratchDir>;
let client: string;

const config = (name: string, keys: Record<string, string | number>) =>
  scratch.config(name, { middleware_hosts: broker.url, collectives: 'mcollective,dev', securityprovider: 'insecure', ...keys });
const mco = (args: string[], cfg = client) => runMco([...args, '--config', cfg]);
/** The discovery time `mco find -v` reports, in ms. */
const discoveryMs = (stderr: string) => Number(/Discovered \d+ nodes in ([\d.]+) seconds/.exec(stderr)?.[1]) * 1000;

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  scratch = scratchDir('troupe-registry-');
  client = config('client.cfg', { discovery_timeout: 2, discovery_quiet_window: 0.2 });
  const server = config('server.cfg', { registration_splay: 0 });
  sim = await startSim(['--fleet', scratch.file('fleet.json', JSON.stringify({ nodes: testFleet() })), '--config', server]);
  await waitForRegistry(broker.url, FLEET_SIZE, 20_000);
});

afterAll(async () => {
  await sim?.stop();
  await broker?.stop();
  scratch?.cleanup();
});

describe('--dm registry finds what broadcast discovery finds', () => {
  const cases: Array<[string, string[], (n: ReturnType<typeof testFleet>[number]) => boolean]> = [
    ['-F fact', ['-F', 'role=web'], (n) => n.facts!.role === 'web'],
    [
      '-F dotted regex and numeric',
      ['-F', 'os.family=/^deb/i', '-F', 'processors.count>=8'],
      (n) => fact(n, 'os.family') === 'Debian' && Number(fact(n, 'processors.count')) >= 8,
    ],
    ['-C class', ['-C', '/^role::(db|cache)$/'], (n) => ['db', 'cache'].includes(String(n.facts!.role))],
    [
      '-I identities',
      ['-I', '/^node-0001\\d\\./', '-I', 'node-00042.example.net'],
      (n) => /^node-0001\d\./.test(n.identity) || n.identity === 'node-00042.example.net',
    ],
    ['-A agent', ['-A', 'puppet'], (n) => n.facts!.role === 'db'],
    [
      '-S compound',
      ['-S', 'role=web and os.family=RedHat or role=db and not profile::ams1'],
      (n) =>
        (n.facts!.role === 'web' && fact(n, 'os.family') === 'RedHat') || (n.facts!.role === 'db' && !n.classes!.includes('profile::ams1')),
    ],
    ['-W words', ['-W', 'nginx site=fra1'], (n) => n.classes!.includes('nginx') && n.facts!.site === 'fra1'],
  ];
  for (const [what, args, pick] of cases) {
    it(`${what}: ${args.join(' ')}`, async () => {
      const expected = identitiesWhere(pick);
      expect(expected.length).toBeGreaterThan(0);
      const [registry, broadcast] = await Promise.all([mco(['find', '--dm', 'registry', ...args]), mco(['find', '--dm', 'mc', ...args])]);
      expect(registry.stderr).toBe('');
      expect(lines(registry.stdout)).toEqual(expected);
      expect(lines(broadcast.stdout)).toEqual(expected);
    });
  }

  it('-T addresses one collective, and no match exits 1', async () => {
    const [dev, none] = await Promise.all([
      mco(['find', '--dm', 'registry', '-T', 'dev']),
      mco(['find', '--dm', 'registry', '-F', 'role=nobody']),
    ]);
    expect(lines(dev.stdout)).toEqual(
      testFleet()
        .slice(0, 10)
        .map((n) => n.identity)
        .sort(),
    );
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
  });

  it('requests go to the nodes the registry found (mco rpc --dm registry)', async () => {
    const r = await mco(['rpc', 'rpcutil', 'ping', '--dm', 'registry', '-F', 'role=db', '--json']);
    expect(r.code).toBe(0);
    const senders = (JSON.parse(r.stdout) as { replies: Array<{ sender: string }> }).replies.map((x) => x.sender).sort();
    expect(senders).toEqual(identitiesWhere((n) => n.facts!.role === 'db'));
  });

  it('an unknown bucket fails with one clear line', async () => {
    const r = await mco(['find', '--dm', 'registry'], config('other.cfg', { registry_bucket: 'nobody_registered_here' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "mco: registry: the registry bucket 'nobody_registered_here' does not exist: no node has registered yet (registerinterval > 0 on the nodes, NATS with JetStream)\n",
    );
  });
});

describe('facts and inventory from the registry', () => {
  const report = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('Report') || /found \d+ times$/.test(l));

  it('mco facts --registry prints the report the nodes give', async () => {
    const [registry, rpc] = await Promise.all([
      mco(['facts', 'os.family', '--registry', '-F', 'site=/^(ams1|lon1)$/']),
      mco(['facts', 'os.family', '-F', 'site=/^(ams1|lon1)$/']),
    ]);
    expect(registry.code).toBe(0);
    expect(report(registry.stdout)).toEqual(report(rpc.stdout));
    expect(report(registry.stdout).length).toBeGreaterThan(2);
    expect(registry.stdout).toMatch(/Finished reading \d+ hosts from the registry in [\d.]+ ms/);
  });

  it('mco facts --registry --json: the same values, and a missing fact', async () => {
    const [registry, rpc] = await Promise.all([
      mco(['facts', 'processors.count', '--registry', '--json']),
      mco(['facts', 'processors.count', '--json']),
    ]);
    expect(parseAs<FactsJson>(registry.stdout).values).toEqual(parseAs<FactsJson>(rpc.stdout).values);
    const missing = await mco(['facts', 'no.such.fact', '--registry', '--json']);
    expect(Object.keys(parseAs<FactsJson>(missing.stdout).values)).toEqual(['']);
  });

  it('mco inventory --registry shows the registration, agents, classes and facts', async () => {
    const id = 'node-00004.example.net';
    const [registry, rpc] = await Promise.all([mco(['inventory', id, '--registry']), mco(['inventory', id])]);
    expect(registry.code).toBe(0);
    expect(registry.stdout).toMatch(/^ +Last Seen: \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)$/m);
    expect(registry.stdout).toContain('Collectives: mcollective, dev');
    const facts = (s: string) => s.slice(s.indexOf('   Facts:'));
    expect(facts(registry.stdout)).toEqual(facts(rpc.stdout));
    expect(facts(registry.stdout)).toContain('os.family => ');
    const classes = (s: string) => s.slice(s.indexOf('   Configuration Management Classes:'), s.indexOf('   Facts:'));
    expect(classes(registry.stdout)).toEqual(classes(rpc.stdout));
  });

  it('mco inventory --registry for an unknown node exits 3', async () => {
    const r = await mco(['inventory', 'nosuch.example.net', '--registry']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('nosuch.example.net is not in the registry');
  });
});

describe('expected counts from the registry end broadcast waits early', () => {
  // A long quiet window: what broadcast discovery waits out when it cannot know how many will answer.
  let slow: string;
  beforeAll(() => {
    slow = config('slow.cfg', { discovery_timeout: 6, discovery_quiet_window: 3 });
  });

  it('--do expect=registry stops discovery once every registered match answered', async () => {
    const filter = ['-F', 'role=web'];
    const plain = await mco(['find', '-v', ...filter], slow);
    const expecting = await mco(['find', '-v', '--do', 'expect=registry', ...filter], slow);
    expect(lines(expecting.stdout)).toEqual(lines(plain.stdout));
    expect(lines(plain.stdout)).toEqual(identitiesWhere((n) => n.facts!.role === 'web'));
    expect(discoveryMs(plain.stderr)).toBeGreaterThanOrEqual(3000);
    expect(discoveryMs(expecting.stderr)).toBeLessThan(2000);
  });

  it('discovery_expect_from_registry = true does it for every broadcast discovery', async () => {
    const r = await mco(
      ['find', '-v', '-C', 'nginx'],
      config('expecting.cfg', { discovery_timeout: 6, discovery_quiet_window: 3, discovery_expect_from_registry: 'true' }),
    );
    expect(lines(r.stdout)).toEqual(identitiesWhere((n) => n.classes!.includes('nginx')));
    expect(discoveryMs(r.stderr)).toBeLessThan(2000);
  });

  it('mco ping --expect registry ends with the last registered node', async () => {
    const started = performance.now();
    const r = await mco(['ping', '--expect', 'registry', '--json'], slow);
    const json = JSON.parse(r.stdout) as { stats: { count: number; wall_ms: number } };
    expect(json.stats.count).toBe(FLEET_SIZE);
    expect(json.stats.wall_ms).toBeLessThan(2000);
    expect(performance.now() - started).toBeLessThan(6000);
  });

  it('--expect takes a count or the word registry, nothing else', async () => {
    const r = await mco(['ping', '--expect', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected a whole number above 0, or 'registry'");
  });
});
