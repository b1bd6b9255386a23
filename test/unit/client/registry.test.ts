// Registry discovery: every filter kind evaluated against registration records, staleness, and expected counts.
import { describe, expect, it } from 'vitest';
import { buildFilter, type Filter } from '../../../src/filter/index.js';
import { generateFleet } from '../../../src/server/fleet.js';
import { buildRegistrationRecord } from '../../../src/server/registration.js';
import { encodeRegistration } from '../../../src/protocol/index.js';
import {
  DiscoveryError,
  ExpectFromRegistry,
  RegistryDiscovery,
  queryRegistry,
  registeredNode,
  type DiscoveryMethod,
  type DiscoveryRequest,
  type RegistryEntry,
  type RegistrySource,
} from '../../../src/client/discovery/index.js';
import { parseAs } from '../../helpers/json.js';

const NOW = Date.now();
const MAX_AGE = 900_000;

/** 40 generated nodes; db nodes advertise puppet, the first ten are also in `dev`. */
const fleet = generateFleet(40).nodes.map((n, i) => ({
  ...n,
  agents: n.facts!.role === 'db' ? ['rpcutil', 'puppet'] : ['rpcutil'],
  collectives: i < 10 ? ['mcollective', 'dev'] : ['mcollective'],
}));

function entryOf(n: (typeof fleet)[number], storedAt = NOW - 1000): RegistryEntry {
  const record = buildRegistrationRecord(
    { identity: n.identity, collectives: n.collectives, mainCollective: n.collectives[0]!, version: '1' },
    { identity: n.identity, facts: n.facts!, classes: n.classes!, agents: n.agents },
    storedAt,
  );
  return { data: encodeRegistration(record), storedAt };
}

class MemorySource implements RegistrySource {
  constructor(
    readonly entries: RegistryEntry[],
    readonly maxAgeMs = MAX_AGE,
  ) {}
  async scan(visit: (e: RegistryEntry) => void) {
    for (const e of this.entries) visit(e);
    return { maxAgeMs: this.maxAgeMs };
  }
  async get(identity: string) {
    const found = this.entries.filter((e) => parseAs<{ identity?: string }>(new TextDecoder().decode(e.data)).identity === identity).pop();
    return { record: found, maxAgeMs: this.maxAgeMs };
  }
}

const source = new MemorySource(fleet.map((n) => entryOf(n)));
const fact = (n: (typeof fleet)[number], path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], n.facts);
const where = (pick: (n: (typeof fleet)[number]) => boolean, collective = 'mcollective') =>
  fleet
    .filter((n) => n.collectives.includes(collective) && pick(n))
    .map((n) => n.identity)
    .sort();
const request = (filter: Filter, options: Record<string, string> = {}, collective = 'mcollective'): DiscoveryRequest => ({
  filter,
  collective,
  timeoutMs: 1000,
  quietWindowMs: 100,
  options,
});

describe('registry discovery evaluates every filter kind', () => {
  const cases: Array<[string, Parameters<typeof buildFilter>[0], (n: (typeof fleet)[number]) => boolean]> = [
    ['fact equality', { facts: ['role=web'] }, (n) => n.facts!.role === 'web'],
    ['dotted fact regex', { facts: ['os.name=/^(ubuntu|rocky)$/i'] }, (n) => ['Ubuntu', 'Rocky'].includes(String(fact(n, 'os.name')))],
    ['numeric fact', { facts: ['processors.count>=8'] }, (n) => Number(fact(n, 'processors.count')) >= 8],
    ['class', { classes: ['nginx'] }, (n) => n.classes!.includes('nginx')],
    ['agent', { agents: ['puppet'] }, (n) => n.facts!.role === 'db'],
    ['identity regex', { identities: ['/^node-0001/'] }, (n) => n.identity.startsWith('node-0001')],
    [
      'compound',
      { selects: ['role=web and os.family=RedHat or role=db and not profile::ams1'] },
      (n) =>
        (n.facts!.role === 'web' && fact(n, 'os.family') === 'RedHat') || (n.facts!.role === 'db' && !n.classes!.includes('profile::ams1')),
    ],
    [
      'everything ANDed',
      { facts: ['role=web'], classes: ['profile::lon1'], identities: ['/^node-000[0-3]/'] },
      (n) => n.facts!.role === 'web' && n.classes!.includes('profile::lon1') && /^node-000[0-3]/.test(n.identity),
    ],
  ];
  for (const [what, options, pick] of cases) {
    it(what, async () => {
      const expected = where(pick);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(fleet.length);
      expect(await new RegistryDiscovery(source).discover(request(buildFilter(options)))).toEqual(expected);
    });
  }

  it('only nodes of the addressed collective', async () => {
    expect(await new RegistryDiscovery(source).discover(request(buildFilter({}), {}, 'dev'))).toEqual(where(() => true, 'dev'));
  });
});

describe('staleness and bad records', () => {
  it('leaves out records older than the registry max age, and older than --do max_age', async () => {
    const entries = [entryOf(fleet[0]!, NOW - 10_000), entryOf(fleet[1]!, NOW - 120_000), entryOf(fleet[2]!, NOW - MAX_AGE - 1)];
    const answer = await queryRegistry(new MemorySource(entries), { filter: buildFilter({}), collective: 'mcollective', now: NOW });
    expect(answer.nodes.map((n) => n.record.identity)).toEqual([fleet[0]!.identity, fleet[1]!.identity]);
    expect(answer.stale).toBe(1);
    const narrower = await queryRegistry(new MemorySource(entries), {
      filter: buildFilter({}),
      collective: 'mcollective',
      now: NOW,
      maxAgeMs: 60_000,
    });
    expect(narrower.nodes.map((n) => n.record.identity)).toEqual([fleet[0]!.identity]);
  });

  it('a registry without a max age keeps every record', async () => {
    const answer = await queryRegistry(new MemorySource([entryOf(fleet[0]!, 0)], 0), {
      filter: buildFilter({}),
      collective: 'mcollective',
      now: NOW,
    });
    expect(answer.nodes).toHaveLength(1);
  });

  it('skips and counts what is not a registration record, and keeps the newest of two records of one node', async () => {
    const entries = [
      entryOf(fleet[0]!, NOW - 5000),
      { data: new TextEncoder().encode('{"x":1}'), storedAt: NOW },
      { data: new Uint8Array([1, 2]), storedAt: NOW },
    ];
    const newer = parseAs<{ facts: Record<string, unknown> }>(new TextDecoder().decode(entryOf(fleet[0]!).data));
    newer.facts.role = 'changed';
    entries.push({ data: new TextEncoder().encode(JSON.stringify(newer)), storedAt: NOW - 100 });
    const answer = await queryRegistry(new MemorySource(entries), { filter: buildFilter({}), collective: 'mcollective', now: NOW });
    expect(answer.invalid).toBe(2);
    expect(answer.nodes).toHaveLength(1);
    expect(answer.nodes[0]!.record.facts.role).toBe('changed');
  });

  it('--do max_age must be a positive number of seconds', async () => {
    await expect(new RegistryDiscovery(source).discover(request(buildFilter({}), { max_age: 'soon' }))).rejects.toThrow(
      /max_age expects a number/,
    );
  });

  it('a failing source becomes one DiscoveryError', async () => {
    const broken: RegistrySource = {
      scan: async () => Promise.reject(new Error('the broker has no JetStream')),
      get: async () => Promise.reject(new Error('x')),
    };
    const err = await new RegistryDiscovery(broken).discover(request(buildFilter({}))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscoveryError);
    expect((err as DiscoveryError).code).toBe('unavailable');
    expect((err as Error).message).toBe('registry: the broker has no JetStream');
  });

  it('looks one node up, unless missing or stale', async () => {
    expect((await registeredNode(source, fleet[3]!.identity))?.record.facts).toEqual(fleet[3]!.facts);
    expect(await registeredNode(source, 'nosuch.example.net')).toBeUndefined();
    expect(await registeredNode(new MemorySource([entryOf(fleet[3]!, 1000)]), fleet[3]!.identity)).toBeUndefined();
  });
});

describe('expected counts from the registry', () => {
  class Recording implements DiscoveryMethod {
    readonly name = 'mc';
    seen: Array<Readonly<Record<string, string>>> = [];
    async discover(req: DiscoveryRequest) {
      this.seen.push(req.options);
      return [];
    }
  }
  const warnings: string[] = [];
  const wrap = (byDefault: boolean, registry: RegistrySource | Error = source) => {
    const inner = new Recording();
    const method = new ExpectFromRegistry(inner, {
      registry: async () => {
        if (registry instanceof Error) throw registry;
        return registry;
      },
      byDefault,
      warn: (l) => warnings.push(l),
    });
    return { inner, method };
  };

  it('--do expect=registry passes the number of registered matches on', async () => {
    const { inner, method } = wrap(false);
    await method.discover(request(buildFilter({ facts: ['role=web'] }), { expect: 'registry', other: 'kept' }));
    expect(inner.seen).toEqual([{ expect: String(where((n) => n.facts!.role === 'web').length), other: 'kept' }]);
  });

  it('by default only when configured, and never over an explicit count', async () => {
    const off = wrap(false);
    await off.method.discover(request(buildFilter({})));
    expect(off.inner.seen).toEqual([{}]);
    const on = wrap(true);
    await on.method.discover(request(buildFilter({})));
    await on.method.discover(request(buildFilter({}), { expect: '3' }));
    expect(on.inner.seen).toEqual([{ expect: '40' }, { expect: '3' }]);
  });

  it('no registered match gives no count (an empty registry says nothing)', async () => {
    const { inner, method } = wrap(false);
    await method.discover(request(buildFilter({ facts: ['role=nobody'] }), { expect: 'registry' }));
    expect(inner.seen).toEqual([{}]);
  });

  it('an unavailable registry fails an explicit request, and only warns for the configured default', async () => {
    const down = new DiscoveryError('unavailable', 'the registry needs NATS with JetStream; this client uses connector = amqp');
    await expect(wrap(false, down).method.discover(request(buildFilter({}), { expect: 'registry' }))).rejects.toThrow(/needs NATS/);
    const quiet = wrap(true, down);
    await quiet.method.discover(request(buildFilter({})));
    expect(quiet.inner.seen).toEqual([{}]);
    expect(warnings.at(-1)).toMatch(/^warning: no expected count from the registry \(the registry needs NATS/);
  });
});
