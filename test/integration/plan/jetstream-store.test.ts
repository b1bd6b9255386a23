// Plan run state in JetStream, against a real nats-server with JetStream: records, contention on the runner
// lease, cancel, damaged data, and a broker without JetStream.
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPlanStore, keyToken } from '../../../src/plan/jetstream-store.js';
import { PlanStoreError, type PlanRunRecord } from '../../../src/plan/store.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import type { Connector } from '../../../src/transport/connector.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';

let server: LocalNatsServer;
let bare: LocalNatsServer;
const connectors: Connector[] = [];
let raw: NatsConnection;
let bucketNo = 0;

async function connector(url = server.url): Promise<NatsConnector> {
  const c = new NatsConnector({ servers: [url], name: 'plan-store-test' });
  await c.connect();
  connectors.push(c);
  return c;
}

/** A store on a bucket of its own, so tests do not see each other's runs. */
async function freshStore(settings: { leaseMs?: number } = {}, now?: () => number) {
  const name = `plans_${++bucketNo}`;
  return { name, store: JetStreamPlanStore.for(await connector(), { name, ...settings }, now) };
}

function run(id: string, extra: Partial<PlanRunRecord> = {}): PlanRunRecord {
  const at = new Date().toISOString();
  return {
    id,
    plan: 'deploy',
    planDigest: 'ab'.repeat(32),
    inputs: { version: '1.2' },
    caller: 'ops.troupe',
    startedAt: at,
    updatedAt: at,
    state: 'running',
    ...extra,
  };
}

beforeAll(async () => {
  [server, bare] = await Promise.all([startNatsServer({ jetstream: true }), startNatsServer()]);
  raw = await connect({ servers: server.url });
});

afterAll(async () => {
  await raw?.close();
  await Promise.all(connectors.map((c) => c.close().catch(() => undefined)));
  await Promise.all([server?.stop(), bare?.stop()]);
});

describe('JetStreamPlanStore', () => {
  it('creates, reads, lists newest first and refuses a taken id', async () => {
    const { store } = await freshStore();
    await store.create(run('r1', { startedAt: '2026-01-01T00:00:00.000Z' }));
    await store.create(run('r2', { startedAt: '2026-01-02T00:00:00.000Z', file: 'deploy.yaml' }));
    expect((await store.get('r1'))?.inputs).toEqual({ version: '1.2' });
    expect(await store.get('nope')).toBeUndefined();
    expect((await store.list()).map((r) => r.id)).toEqual(['r2', 'r1']);
    await expect(store.create(run('r1'))).rejects.toMatchObject({ code: 'exists' });
  });

  it('keeps state across connections: a second client reads what the first wrote', async () => {
    const { name, store } = await freshStore();
    await store.create(run('shared/id with spaces'));
    const other = JetStreamPlanStore.for(await connector(), { name });
    expect((await other.get('shared/id with spaces'))?.caller).toBe('ops.troupe');
  });

  it('updates with a patch, stamping updatedAt, and says not_found for an unknown run', async () => {
    const { store } = await freshStore({}, () => Date.parse('2030-05-05T05:05:05.000Z'));
    await store.create(run('u1'));
    const next = await store.update('u1', { currentStep: 'deploy', state: 'failed', reason: 'budget spent by web3' });
    expect(next).toMatchObject({ id: 'u1', currentStep: 'deploy', state: 'failed', updatedAt: '2030-05-05T05:05:05.000Z' });
    expect(await store.get('u1')).toEqual(next);
    await expect(store.update('missing', { state: 'failed' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.recordStep('missing', { step: 'a', state: 'running', startedAt: new Date().toISOString() })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('keeps concurrent updates: no patch is lost to a race', async () => {
    const { store } = await freshStore();
    const writers = await Promise.all(
      Array.from({ length: 4 }, async () => JetStreamPlanStore.for(await connector(), { name: store.settings.name })),
    );
    // Four clients patch four different fields at once; a read-then-put without the revision check drops some.
    for (let round = 0; round < 5; round++) {
      await store.create(run(`c${round}`));
      await Promise.all([
        writers[0]!.update(`c${round}`, { currentStep: 'deploy' }),
        writers[1]!.update(`c${round}`, { reason: 'why' }),
        writers[2]!.update(`c${round}`, { cancelRequestedBy: 'alice.troupe' }),
        writers[3]!.update(`c${round}`, { finishedAt: '2030-01-01T00:00:00.000Z' }),
      ]);
      expect(await store.get(`c${round}`)).toMatchObject({
        currentStep: 'deploy',
        reason: 'why',
        cancelRequestedBy: 'alice.troupe',
        finishedAt: '2030-01-01T00:00:00.000Z',
      });
    }
  });

  it('records steps and node outcomes, a later node record replacing the earlier one', async () => {
    const { store } = await freshStore();
    await store.create(run('s1'));
    await store.recordStep('s1', {
      step: 'drain',
      state: 'done',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:02.000Z',
      result: { n: 3 },
    });
    await store.recordStep('s1', { step: 'on_fail.notify', state: 'running', startedAt: '2026-01-01T00:00:03.000Z' });
    await store.recordStep('s1', { step: 'on_fail.notify', state: 'failed', startedAt: '2026-01-01T00:00:03.000Z' });
    expect((await store.steps('s1')).map((s) => [s.step, s.state])).toEqual([
      ['drain', 'done'],
      ['on_fail.notify', 'failed'],
    ]);
    expect((await store.steps('s1'))[0]!.result).toEqual({ n: 3 });

    const at = new Date().toISOString();
    await store.recordNodes('s1', 'on_fail.notify', [
      { identity: 'web1.example.net', outcome: 'ok', batch: 1, statuscode: 0, at },
      { identity: 'web2.example.net', outcome: 'silent', batch: 1, at },
      { identity: 'db1.example.net', outcome: 'failed', batch: 2, statuscode: 1, statusmsg: 'Puppet is disabled', at },
    ]);
    await store.recordNodes('s1', 'on_fail.notify', [{ identity: 'web2.example.net', outcome: 'ok', batch: 1, statuscode: 0, at }]);
    // A step whose name extends the other's must not pick up its nodes.
    await store.recordNodes('s1', 'on_fail', [{ identity: 'x.example.net', outcome: 'ok', batch: 1, at }]);
    const nodes = await store.nodes('s1', 'on_fail.notify');
    expect(nodes.map((n) => [n.identity, n.outcome, n.batch])).toEqual([
      ['web1.example.net', 'ok', 1],
      ['web2.example.net', 'ok', 1],
      ['db1.example.net', 'failed', 2],
    ]);
    expect(await store.nodes('s1', 'never-ran')).toEqual([]);
    expect(keyToken('on_fail.notify')).toBe('on_5ffail_2enotify');
  });

  it('lets one of two claimers win the lease, renews the holder, and hands a stale lease over', async () => {
    let clock = Date.parse('2030-01-01T00:00:00.000Z');
    const now = () => clock;
    const { name, store } = await freshStore({ leaseMs: 30_000 }, now);
    const other = JetStreamPlanStore.for(await connector(), { name, leaseMs: 30_000 }, now);
    await store.create(run('l1'));
    const beat = () => new Date(clock).toISOString();
    const a = { host: 'ops1', pid: 100, heartbeatAt: beat() };
    const b = { host: 'ops2', pid: 200, heartbeatAt: beat() };
    const wins = await Promise.all([store.claim('l1', a), other.claim('l1', b)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = wins[0] ? a : b;
    const loser = wins[0] ? b : a;
    expect((await store.get('l1'))?.runner).toEqual(winner);

    clock += 10_000;
    expect(await store.claim('l1', { ...loser, heartbeatAt: beat() })).toBe(false); // live lease
    expect(await store.claim('l1', { ...winner, heartbeatAt: beat() })).toBe(true); // renewal
    clock += 29_000;
    expect(await other.claim('l1', { ...loser, heartbeatAt: beat() })).toBe(false); // 29 s since the renewal
    clock += 2_000;
    expect(await other.claim('l1', { ...loser, heartbeatAt: beat() })).toBe(true); // stale: taken over
    expect((await store.get('l1'))?.runner).toMatchObject({ host: loser.host, pid: loser.pid });
    await expect(store.claim('missing', a)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records a cancel request without touching the rest', async () => {
    const { store } = await freshStore();
    await store.create(run('k1', { currentStep: 'deploy' }));
    await store.requestCancel('k1', 'alice.troupe');
    expect(await store.get('k1')).toMatchObject({ cancelRequestedBy: 'alice.troupe', currentStep: 'deploy', state: 'running' });
    await expect(store.requestCancel('missing', 'alice.troupe')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reports damaged records as corrupt instead of failing in odd ways', async () => {
    const { name, store } = await freshStore();
    await store.create(run('ok1'));
    const kv = await raw.jetstream().views.kv(name);
    await kv.put('run.bad1', new TextEncoder().encode('{not json'));
    await kv.put('run.bad2', new TextEncoder().encode(JSON.stringify({ id: 'bad2', state: 'sleeping' })));
    await kv.put('step.ok1.x', new TextEncoder().encode('[]'));
    await expect(store.get('bad1')).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringContaining("'run.bad1' is not JSON") as string,
    });
    await expect(store.get('bad2')).rejects.toMatchObject({ code: 'corrupt' });
    await expect(store.update('bad2', { state: 'failed' })).rejects.toMatchObject({ code: 'corrupt' });
    await expect(store.list()).rejects.toBeInstanceOf(PlanStoreError);
    await expect(store.steps('ok1')).rejects.toMatchObject({ code: 'corrupt' });
    expect((await store.get('ok1'))?.id).toBe('ok1');
  });

  it('says unavailable on a broker without JetStream, and for a connector that is not NATS', async () => {
    const store = JetStreamPlanStore.for(await connector(bare.url), { name: 'plans_none', timeoutMs: 2000 });
    await expect(store.get('x')).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('JetStream') as string });
    const amqp = { kind: 'amqp' } as unknown as Connector;
    expect(() => JetStreamPlanStore.for(amqp)).toThrow(/needs NATS with JetStream; this client uses connector = amqp/);
  });
});
