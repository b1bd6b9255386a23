// ping and filtered discovery/rpc across a 60-node simulated fleet on a private nats-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../../src/client/rpc-client.js';
import { BroadcastDiscovery } from '../../../src/client/discovery/index.js';
import { buildFilter, type FilterOptions } from '../../../src/filter/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { fact, FLEET_SIZE, identitiesWhere, lines, sendersOf, startFleet, testFleet, type FleetEnv } from './fleet.js';

let env: FleetEnv;
let connector: NatsConnector;
let discovery: BroadcastDiscovery;

beforeAll(async () => {
  env = await startFleet();
  // The filter table runs through the client library over the same broker and fleet: one process instead of
  // one `mco` per case. A sample of the cases also runs through the binary below.
  connector = new NatsConnector({ servers: [env.broker.url], name: 'filters-test' });
  await connector.connect();
  const client = new RpcClient(connector, new InsecureProvider('user=test'), {
    sender: 'filters.test0001',
    ttl: 60,
    maxMessageSize: 1 << 20,
    directAddressingThreshold: 10,
  });
  discovery = new BroadcastDiscovery(client);
});

afterAll(async () => {
  await connector?.close();
  await env?.stop();
});

const OPTION: Record<string, keyof FilterOptions> = {
  '-F': 'facts',
  '-C': 'classes',
  '-I': 'identities',
  '-A': 'agents',
  '-S': 'selects',
  '-W': 'withs',
};

/** Discovers with the filter these command-line options build, as `mco find` would. */
async function find(args: string[]): Promise<string[]> {
  const opts: FilterOptions = {};
  for (let i = 0; i < args.length; i += 2) (opts[OPTION[args[i]!]!] ??= []).push(args[i + 1]!);
  return discovery.discover({ filter: buildFilter(opts), collective: 'mcollective', timeoutMs: 2000, quietWindowMs: 200, options: {} });
}

const num = (v: unknown) => Number(v);
const classes = (n: { classes?: string[] }) => n.classes ?? [];

describe('mco ping', () => {
  it('every node answers with its time, then the ping statistics', async () => {
    const r = await env.mco(['ping']);
    expect(r.code).toBe(0);
    const replies = r.stdout.split('\n').filter((l) => / time=\d+\.\d\d ms$/.test(l));
    expect(replies).toHaveLength(FLEET_SIZE);
    expect(replies.map((l) => l.split(/\s+/)[0]).sort()).toEqual(identitiesWhere(() => true));
    expect(replies[0]).toMatch(/^\S+\s+time=/);
    expect(replies[0]!.indexOf('time=')).toBe(41);
    expect(r.stdout).toContain('---- ping statistics ----');
    expect(r.stdout).toMatch(new RegExp(`^${FLEET_SIZE} replies max: \\d+\\.\\d\\d min: \\d+\\.\\d\\d avg: \\d+\\.\\d\\d$`, 'm'));
  });

  it('takes filters without a discovery step, and exits 4 when nobody matches', async () => {
    const [web, none] = await Promise.all([
      env.mco(['ping', '-F', 'role=web', '--json']),
      env.mco(['ping', '-F', 'role=nobody', '-t', '0.5']),
    ]);
    const json = JSON.parse(web.stdout) as { replies: Array<{ sender: string }>; stats: { count: number } };
    expect(json.replies.map((x) => x.sender).sort()).toEqual(identitiesWhere((n) => n.facts!.role === 'web'));
    expect(json.stats.count).toBe(json.replies.length);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('No responses received');
  });
});

describe('filters, evaluated on the nodes', () => {
  const cases: Array<[string, string[], (n: ReturnType<typeof testFleet>[number]) => boolean]> = [
    ['-F dotted fact equality', ['-F', 'os.family=Debian'], (n) => fact(n, 'os.family') === 'Debian'],
    ['-F numeric >=', ['-F', 'processors.count>=8'], (n) => num(fact(n, 'processors.count')) >= 8],
    ['-F numeric, not text, < (2 < 10)', ['-F', 'processors.count<10'], (n) => num(fact(n, 'processors.count')) < 10],
    ['-F versions (7.23.0 > 7.9.0)', ['-F', 'puppetversion>7.9.0'], () => true],
    ['-F versions <', ['-F', 'puppetversion<7.24'], (n) => fact(n, 'puppetversion') === '7.23.0'],
    ['-F regex', ['-F', 'os.name=/^(ubuntu|rocky)$/i'], (n) => ['Ubuntu', 'Rocky'].includes(String(fact(n, 'os.name')))],
    ['-F =~', ['-F', 'site=~^fra'], (n) => fact(n, 'site') === 'fra1'],
    ['-F != on a missing fact matches nobody', ['-F', 'nosuch!=x', '-F', 'role=web'], () => false],
    ['repeated -F are ANDed', ['-F', 'role=web', '-F', 'site=lon1'], (n) => n.facts!.role === 'web' && n.facts!.site === 'lon1'],
    ['-C exact', ['-C', 'nginx'], (n) => classes(n).includes('nginx')],
    ['-C regex', ['-C', '/^role::(db|cache)$/'], (n) => ['db', 'cache'].includes(String(n.facts!.role))],
    ['repeated -C are ANDed', ['-C', 'base', '-C', 'profile::ams1'], (n) => classes(n).includes('profile::ams1')],
    ['-A advertised agent', ['-A', 'frobnicator'], (n) => n.facts!.role === 'db'],
    ['-A every node hosts rpcutil', ['-A', 'rpcutil'], () => true],
    ['-I regex', ['-I', '/^node-0001\\d\\./'], (n) => /^node-0001\d\./.test(n.identity)],
    [
      'repeated -I are ORed',
      ['-I', '/node-00001\\./', '-I', '/node-0006/'],
      (n) => ['node-00001.example.net', 'node-00060.example.net'].includes(n.identity),
    ],
    [
      '-S compound with precedence and not',
      ['-S', 'role=web and os.family=RedHat or role=db and not profile::ams1'],
      (n) =>
        (n.facts!.role === 'web' && fact(n, 'os.family') === 'RedHat') || (n.facts!.role === 'db' && !classes(n).includes('profile::ams1')),
    ],
    [
      '-S with parentheses and a regex class',
      ['-S', '(/^role::(web|lb)$/) and (site=ams1 or site=fra1)'],
      (n) => ['web', 'lb'].includes(String(n.facts!.role)) && ['ams1', 'fra1'].includes(String(n.facts!.site)),
    ],
    ['-S numeric term with blanks', ['-S', 'processors.count >= 16'], (n) => num(fact(n, 'processors.count')) >= 16],
    ['-W words: a class and a fact', ['-W', 'nginx site=fra1'], (n) => classes(n).includes('nginx') && n.facts!.site === 'fra1'],
    [
      'all kinds together are ANDed',
      ['-F', 'role=web', '-C', 'profile::lon1', '-I', '/^node-000[0-4]/'],
      (n) => n.facts!.role === 'web' && n.facts!.site === 'lon1' && /^node-000[0-4]/.test(n.identity),
    ],
    // A name starting with / is a regex with or without its closing slash, as in MCollective.
    ['-I regex without a closing slash', ['-I', '/^node-0001'], (n) => n.identity.startsWith('node-0001')],
    ['-C regex without a closing slash', ['-C', '/^role::d'], (n) => n.facts!.role === 'db'],
    ['-A regex without a closing slash', ['-A', '/^frob'], (n) => n.facts!.role === 'db'],
    [
      '-S class regex without a closing slash',
      ['-S', '/^profile::(ams|fra) and role=web'],
      (n) => n.facts!.role === 'web' && ['ams1', 'fra1'].includes(String(n.facts!.site)),
    ],
    ['-A mcollective matches every node, as in MCollective', ['-A', 'mcollective'], () => true],
    ['-F on an object fact matches one of its keys', ['-F', 'mounts=/var/lib/postgresql'], (n) => n.facts!.role === 'db'],
    [
      "-S regex over an object fact's keys",
      ['-S', 'mounts=~^/var and site=ams1'],
      (n) => n.facts!.role === 'db' && n.facts!.site === 'ams1',
    ],
  ];

  for (const [what, args, pick] of cases) {
    it(`${what}: ${args.join(' ')}`, async () => {
      expect(await find(args)).toEqual(identitiesWhere(pick));
    });
  }

  it('the same through `mco find`: numeric, version, regex identity, compound and -W cases', async () => {
    const sample = [1, 3, 14, 16, 19].map((i) => cases[i]!);
    const results = await Promise.all(sample.map(([, args]) => env.mco(['find', ...args])));
    sample.forEach(([what, , pick], i) => {
      expect(lines(results[i]!.stdout), what).toEqual(identitiesWhere(pick));
      expect(results[i]!.code).toBe(0);
    });
  });

  it('the same through `mco find` and `mco ping`: regexes without a closing slash, -A mcollective, object facts', async () => {
    const [ids, everyone, mounts] = await Promise.all([
      env.mco(['find', '-I', '/^node-0001']),
      env.mco(['ping', '-A', 'mcollective', '--json']),
      env.mco(['find', '-F', 'mounts=/var/lib/postgresql']),
    ]);
    expect(lines(ids.stdout)).toEqual(identitiesWhere((n) => n.identity.startsWith('node-0001')));
    expect(sendersOf(everyone.stdout)).toEqual(identitiesWhere(() => true));
    expect(lines(mounts.stdout)).toEqual(identitiesWhere((n) => n.facts!.role === 'db'));
  });

  it('mco find exits 1 when nothing matches', async () => {
    const r = await env.mco(['find', '-F', 'nosuch!=x', '--dt', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('the expectations above are not trivial: most select a strict, non-empty part of the fleet', () => {
    const sizes = cases.map(([, , pick]) => identitiesWhere(pick).length);
    expect(sizes.filter((s) => s > 0 && s < FLEET_SIZE).length).toBeGreaterThanOrEqual(cases.length - 4);
  });
});

describe('the client refuses what nodes would refuse or misread, before sending anything', () => {
  it('more than 256 distinct entries of one kind: one clear error, not an empty result', async () => {
    const many = Array.from({ length: 257 }, (_, i) => ['-I', `node-${String(i + 1).padStart(5, '0')}.example.net`]).flat();
    const r = await env.mco(['ping', ...many]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('mco: invalid filter:\n     257 distinct identity filters (-I); a node accepts at most 256 of each kind\n');
    const atLimit = await env.mco(['ping', ...many.slice(2), '--json']);
    expect(atLimit.code).toBe(0);
    expect(sendersOf(atLimit.stdout)).toEqual(identitiesWhere((n) => n.identity !== 'node-00001.example.net'));
  });

  it('an ordering operator with a regex, and a newline in a value, each get an error with a caret', async () => {
    const [ordering, newline] = await Promise.all([
      env.mco(['find', '-S', 'processors.count>/^1/']),
      env.mco(['find', '-F', 'role=web\nsite=ams1']),
    ]);
    expect(ordering.code).toBe(1);
    expect(ordering.stderr).toBe(
      [
        'mco: invalid filter in -S:',
        '     processors.count>/^1/',
        '                      ^',
        "     -S: '>' compares values in order and cannot take a regular expression; match with = or =~, or quote the value to compare the text",
        '',
      ].join('\n'),
    );
    expect(newline.code).toBe(1);
    expect(newline.stderr).toBe(
      [
        'mco: invalid filter in -F:',
        '     role=web site=ams1',
        '             ^',
        '     -F: newline (U+000A) is not allowed in a filter',
        '',
      ].join('\n'),
    );
  });
});

describe('filtered rpc', () => {
  it('rpcutil ping with -F/-C reaches exactly the matching nodes, all OK', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-F', 'processors.count>=8', '-C', '/^role::(web|app)$/', '--json']);
    expect(r.code).toBe(0);
    const expected = identitiesWhere((n) => num(fact(n, 'processors.count')) >= 8 && ['web', 'app'].includes(String(n.facts!.role)));
    expect(expected.length).toBeGreaterThan(5);
    expect(sendersOf(r.stdout)).toEqual(expected);
    const report = parseAs<ReportJson>(r.stdout);
    expect(report.request_stats).toMatchObject({
      discovered: expected.length,
      responses: expected.length,
      ok: expected.length,
      failed: 0,
      no_responses: [],
    });
  });

  it('text output: one block per node and the short stats line', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'get_fact', 'fact=os.family', '-S', 'role=db']);
    const db = identitiesWhere((n) => n.facts!.role === 'db');
    expect(r.code).toBe(0);
    for (const id of db) expect(r.stdout).toContain(`${id}\n    Fact: os.family\n   Value: `);
    expect(r.stdout).toMatch(/Summary of Value:\n\n\s+Debian = \d+\n\s+RedHat = \d+/);
    expect(r.stdout).toMatch(new RegExp(`Finished processing ${db.length} / ${db.length} hosts in \\d+\\.\\d\\d ms`));
  });
});

describe('two collectives (-T)', () => {
  it('-T dev reaches only the members of dev; the main collective reaches everyone', async () => {
    const [dev, devWeb, main] = await Promise.all([
      env.mco(['find', '-T', 'dev']),
      env.mco(['rpc', 'rpcutil', 'collective_info', '-T', 'dev', '-F', 'role=web', '--json']),
      env.mco(['find']),
    ]);
    const members = testFleet()
      .slice(0, 10)
      .map((n) => n.identity)
      .sort();
    expect(lines(dev.stdout)).toEqual(members);
    const devWebExpected = testFleet()
      .slice(0, 10)
      .filter((n) => n.facts!.role === 'web')
      .map((n) => n.identity)
      .sort();
    expect(sendersOf(devWeb.stdout)).toEqual(devWebExpected);
    for (const rep of parseAs<ReportJson>(devWeb.stdout).replies) expect(rep.data.collectives).toEqual(['mcollective', 'dev']);
    expect(lines(main.stdout)).toHaveLength(FLEET_SIZE);
  });

  it('a collective missing from the client config is refused before anything is sent', async () => {
    const r = await env.mco(['find', '-T', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mco: collective 'prod' is not one of the configured collectives/);
  });
});
