// Registration records and when a node publishes them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { buildRegistrationRecord, Registration, REGISTRY_UNAVAILABLE, type Registrar } from '../../../src/server/registration.js';
import {
  decodeRegistration,
  encodeRegistration,
  registryKey,
  ProtocolError,
  type RegistrationRecord,
} from '../../../src/protocol/index.js';

const node = { identity: 'web1.example.net', collectives: ['mcollective', 'dev'], mainCollective: 'mcollective', version: '1.2.3' };
const view = {
  identity: 'web1.example.net',
  facts: { role: 'web', os: { family: 'Debian' } },
  classes: ['base', 'nginx'],
  agents: ['rpcutil', 'puppet'],
};

describe('buildRegistrationRecord', () => {
  it('carries identity, facts, classes, agents (sorted), collectives, version and last_seen in seconds', () => {
    const record = buildRegistrationRecord(node, view, Date.UTC(2024, 0, 1, 12, 0, 0, 999));
    expect(record).toEqual({
      protocol: 'troupe:registration:1',
      identity: 'web1.example.net',
      collectives: ['mcollective', 'dev'],
      main_collective: 'mcollective',
      facts: { role: 'web', os: { family: 'Debian' } },
      classes: ['base', 'nginx'],
      agents: ['puppet', 'rpcutil'],
      version: '1.2.3',
      last_seen: Date.UTC(2024, 0, 1, 12, 0, 0) / 1000,
    });
  });

  it('round-trips through the wire encoding and its schema', () => {
    const record = buildRegistrationRecord(node, view);
    expect(decodeRegistration(encodeRegistration(record))).toEqual(record);
  });
});

describe('decodeRegistration', () => {
  const good = buildRegistrationRecord(node, view, 1_700_000_000_000);
  const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  it.each([
    ['not JSON', '{"protocol":', 'malformed'],
    ['invalid UTF-8', new Uint8Array([0xff, 0xfe]), 'malformed'],
    ['another protocol', { ...good, protocol: 'troupe:reply:1' }, 'schema'],
    ['no identity', { ...good, identity: undefined }, 'schema'],
    ['an identity with a blank', { ...good, identity: 'a b' }, 'schema'],
    ['no collectives', { ...good, collectives: [] }, 'schema'],
    ['facts that are a list', { ...good, facts: [] }, 'schema'],
    ['a fractional last_seen', { ...good, last_seen: 1.5 }, 'schema'],
    ['an unknown field', { ...good, extra: 1 }, 'schema'],
  ])('rejects %s with a ProtocolError', (_what, value, code) => {
    const data = value instanceof Uint8Array ? value : bytes(value);
    expect(() => decodeRegistration(data)).toThrow(ProtocolError);
    try {
      decodeRegistration(data);
    } catch (err) {
      expect((err as ProtocolError).code).toBe(code);
    }
  });
});

describe('registryKey', () => {
  it('keeps plain dotted identities as they are', () => {
    expect(registryKey('web1.example.net')).toBe('web1.example.net');
    expect(registryKey('node-00001_a.example.net')).toBe('node-00001_a.example.net');
  });

  it('encodes identities a key cannot hold, never colliding with a plain one', () => {
    const odd = ['host:8080', 'a..b', '.lead', 'trail.', 'ünï', '=abc', 'a/b'];
    const keys = odd.map(registryKey);
    for (const k of keys) expect(k).toMatch(/^=[A-Za-z0-9_-]+$/);
    expect(new Set(keys).size).toBe(odd.length);
    expect(Buffer.from(registryKey('host:8080').slice(1), 'base64url').toString()).toBe('host:8080');
  });
});

describe('Registration scheduling', () => {
  let stored: RegistrationRecord[];
  let registrar: Registrar & { fail?: Error; gate?: Promise<void> };
  const logs: Array<{ level: string; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as never) });
  let facts: Record<string, unknown>;

  beforeEach(() => {
    vi.useFakeTimers();
    stored = [];
    logs.length = 0;
    facts = { role: 'web' };
    registrar = {
      async store(record) {
        await registrar.gate;
        if (registrar.fail) throw registrar.fail;
        stored.push(record);
      },
    };
  });
  afterEach(() => vi.useRealTimers());

  const make = (random = () => 0.5) =>
    new Registration(
      { registrar, intervalMs: 60_000, splayMs: 10_000 },
      () => buildRegistrationRecord(node, { ...view, facts }),
      logger,
      random,
    );

  it('publishes first after the splay, then every interval', async () => {
    const r = make(() => 0.25);
    r.start();
    await vi.advanceTimersByTimeAsync(2_400);
    expect(stored).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(stored).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stored).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(stored).toHaveLength(4);
    r.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(stored).toHaveLength(4);
  });

  it('publishes at once when facts change, with the new facts', async () => {
    const r = make();
    r.start();
    await vi.advanceTimersByTimeAsync(6_000);
    facts = { role: 'db' };
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored.map((s) => s.facts.role)).toEqual(['web', 'db']);
    r.stop();
  });

  it('never has two publications in flight, and does not lose one asked for meanwhile', async () => {
    let open!: () => void;
    registrar.gate = new Promise<void>((resolve) => (open = resolve));
    const r = make(() => 0);
    r.start();
    facts = { role: 'db' };
    r.changed();
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toHaveLength(0);
    registrar.gate = undefined;
    open();
    await r.settled();
    // The one in flight (built before the change), then exactly one more carrying the latest facts.
    expect(stored.map((s) => s.facts.role)).toEqual(['web', 'db']);
    r.stop();
  });

  it('publishes nothing before start (facts may load before the broker connects)', async () => {
    const r = make(() => 0);
    r.changed();
    r.reconnected();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toHaveLength(0);
    r.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toHaveLength(1);
    r.stop();
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toHaveLength(1);
  });

  it('re-registers after a reconnect, splayed again', async () => {
    const r = make(() => 0.5);
    r.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stored).toHaveLength(1);
    r.reconnected();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(stored).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(stored).toHaveLength(2);
    r.stop();
  });

  it('a broker without JetStream is asked again at the interval, logged once at info, and recovery is logged', async () => {
    registrar.fail = Object.assign(new Error('no JetStream'), { code: REGISTRY_UNAVAILABLE });
    let attempts = 0;
    const store = registrar.store.bind(registrar);
    registrar.store = (record) => (attempts++, store(record));
    const r = make(() => 0);
    r.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(121_000);
    expect(attempts).toBe(4);
    const failures = logs.filter((l) => l.msg === 'registration failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.level).toBe(30);
    registrar.fail = undefined;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stored).toHaveLength(1);
    expect(logs.some((l) => l.msg === 'registration succeeded again')).toBe(true);
    r.stop();
  });

  it('other failures are retried soon, backing off, and warned about once', async () => {
    registrar.fail = new Error('acknowledgement timed out');
    let attempts = 0;
    const store = registrar.store.bind(registrar);
    registrar.store = (record) => (attempts++, store(record));
    const r = make(() => 1); // no jitter: retries after 2, 4, 8, 16, 32 s, then the interval
    r.start();
    // The first at t=10 s (the whole splay), then t=12 and t=16.
    await vi.advanceTimersByTimeAsync(16_000);
    expect(attempts).toBe(3);
    registrar.fail = undefined;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(stored).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'registration failed').map((l) => l.level)).toEqual([40]);
    r.stop();
  });
});
