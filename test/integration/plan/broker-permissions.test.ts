// Plan state and governors under the broker configuration `mco broker config` writes: an operator certificate
// may use the plan bucket and the listed governors; a node certificate may take slots of the node governors and
// nothing else: no plan state, no other governor, no managing its own.
import { connect, Events, type NatsConnection, type Status } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTroupeBroker, type TroupeBroker } from '../../../src/devkit/broker.js';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';
import { Governor, GovernorAdmin } from '../../../src/plan/governor.js';
import { JetStreamPlanStore } from '../../../src/plan/jetstream-store.js';
import { inboxPrefixFor } from '../../../src/protocol/index.js';
import { NatsConnector } from '../../../src/transport/nats.js';

const NODE = 'node1.example.net';
const OPS = 'ops.troupe';

let pki: DevPki;
let broker: TroupeBroker;
const connectors: NatsConnector[] = [];
const raws: NatsConnection[] = [];

/** A connection as `name`, the way mco and the daemon make it: its certificate, inboxes under its own prefix. */
async function as(name: string): Promise<NatsConnector> {
  const c = new NatsConnector({
    servers: [broker.server.url],
    tls: { ca: pki.caPath, cert: pki.certPath(name), key: pki.keyPath(name) },
    inboxPrefix: inboxPrefixFor(name),
  });
  await c.connect();
  connectors.push(c);
  return c;
}

/** A raw connection as `name` that collects what the broker refuses; refusals() is complete after a flush. */
async function rawAs(name: string) {
  const errors: Status[] = [];
  const nc = await connect({
    servers: broker.server.url,
    reconnect: false,
    inboxPrefix: inboxPrefixFor(name),
    tls: { caFile: pki.caPath, certFile: pki.certPath(name), keyFile: pki.keyPath(name) },
  });
  raws.push(nc);
  void (async () => {
    for await (const s of nc.status()) if (s.type === Events.Error) errors.push(s);
  })();
  const refusals = async () => {
    await nc.flush();
    await new Promise(setImmediate);
    return errors.flatMap((e) => (e.permissionContext ? [`${e.permissionContext.operation} ${e.permissionContext.subject}`] : [])).sort();
  };
  return { nc, refusals };
}

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: [OPS], broker: true });
  broker = await startTroupeBroker(pki, { governors: ['DEPLOY'], nodeGovernors: ['PUPPET'] });
}, 60_000);

afterAll(async () => {
  await Promise.all([...connectors.map((c) => c.close().catch(() => undefined)), ...raws.map((nc) => nc.close().catch(() => undefined))]);
  await broker?.server.stop();
  pki?.cleanup();
});

const run = (id: string) => {
  const at = new Date().toISOString();
  return {
    id,
    plan: 'deploy',
    planDigest: 'ab'.repeat(32),
    inputs: {},
    caller: `cert=${OPS}`,
    startedAt: at,
    updatedAt: at,
    state: 'running' as const,
  };
};

describe('plan state and governors on a broker configured by mco broker config', () => {
  it('lets an operator certificate keep plan state and manage and use its governors, with no refusal', async () => {
    const ops = await as(OPS);
    const store = JetStreamPlanStore.for(ops, { timeoutMs: 3000 });
    await store.create(run('p1'));
    await store.recordStep('p1', { step: 'a', state: 'done', startedAt: new Date().toISOString() });
    await store.recordNodes('p1', 'a', [{ identity: NODE, outcome: 'ok', batch: 1, at: new Date().toISOString() }]);
    expect(await store.claim('p1', { host: 'ops1', pid: 1, heartbeatAt: new Date().toISOString() })).toBe(true);
    expect((await store.list()).map((r) => r.id)).toEqual(['p1']);
    expect(await store.steps('p1')).toHaveLength(1);
    expect(await store.nodes('p1', 'a')).toHaveLength(1);
    await store.requestCancel('p1', `cert=${OPS}`);

    const admin = GovernorAdmin.for(ops, 3000);
    for (const g of ['PUPPET', 'DEPLOY']) {
      await admin.add(g, 2, 60_000);
      const slot = await Governor.for(ops, g, { timeoutMs: 3000 }).acquire({ holder: OPS, maxWaitMs: 0 });
      expect((await admin.view(g)).slots.map((s) => s.id)).toEqual([slot.id]);
      await slot.release();
    }
    expect((await admin.list()).map((g) => g.name)).toEqual(['DEPLOY', 'PUPPET']);
    const held = await Governor.for(ops, 'DEPLOY').acquire({ holder: OPS, maxWaitMs: 0 });
    await admin.evict('DEPLOY', held.id);
    expect(broker.server.log).not.toMatch(/Permissions Violation/);
    // A governor the broker was not told of stays out of reach, even for an operator.
    await expect(GovernorAdmin.for(ops, 1500).add('OTHER', 1, 60_000)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('lets a node certificate take and give back a slot of its governor', async () => {
    const node = await as(NODE);
    const slot = await Governor.for(node, 'PUPPET', { timeoutMs: 3000 }).acquire({ holder: NODE, maxWaitMs: 0 });
    const ops = await as(OPS);
    expect((await GovernorAdmin.for(ops).view('PUPPET')).slots.map((s) => s.holder)).toEqual([NODE]);
    await slot.release();
    expect((await GovernorAdmin.for(ops).view('PUPPET')).slots).toEqual([]);
  });

  it('keeps a node certificate away from plan state, other governors and governor management', async () => {
    const node = await as(NODE);
    await expect(JetStreamPlanStore.for(node, { timeoutMs: 1500 }).get('p1')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(Governor.for(node, 'DEPLOY', { timeoutMs: 1500 }).acquire({ holder: NODE, maxWaitMs: 0 })).rejects.toMatchObject({
      code: 'unavailable',
    });

    const thief = await rawAs(NODE);
    const bytes = new TextEncoder().encode('{}');
    for (const subject of [
      '$KV.troupe_plans.run.p1',
      '$JS.API.STREAM.INFO.KV_troupe_plans',
      '$JS.API.STREAM.MSG.GET.KV_troupe_plans',
      '$JS.API.DIRECT.GET.KV_troupe_plans',
      '$JS.API.CONSUMER.CREATE.KV_troupe_plans',
      '$GOVERNOR.DEPLOY.x',
      '$JS.API.STREAM.MSG.DELETE.GOVERNOR_DEPLOY',
      '$JS.API.STREAM.DELETE.GOVERNOR_PUPPET',
      '$JS.API.STREAM.UPDATE.GOVERNOR_PUPPET',
      '$JS.API.STREAM.PURGE.GOVERNOR_PUPPET',
      '$JS.API.STREAM.CREATE.GOVERNOR_PUPPET',
    ]) {
      thief.nc.publish(subject, bytes);
    }
    thief.nc.publish('$GOVERNOR.PUPPET.mine', bytes); // its own governor: allowed
    expect(await thief.refusals()).toEqual(
      [
        '$KV.troupe_plans.run.p1',
        '$JS.API.STREAM.INFO.KV_troupe_plans',
        '$JS.API.STREAM.MSG.GET.KV_troupe_plans',
        '$JS.API.DIRECT.GET.KV_troupe_plans',
        '$JS.API.CONSUMER.CREATE.KV_troupe_plans',
        '$GOVERNOR.DEPLOY.x',
        '$JS.API.STREAM.MSG.DELETE.GOVERNOR_DEPLOY',
        '$JS.API.STREAM.DELETE.GOVERNOR_PUPPET',
        '$JS.API.STREAM.UPDATE.GOVERNOR_PUPPET',
        '$JS.API.STREAM.PURGE.GOVERNOR_PUPPET',
        '$JS.API.STREAM.CREATE.GOVERNOR_PUPPET',
      ]
        .map((s) => `publish ${s}`)
        .sort(),
    );
    // The run it could not read is intact.
    expect((await JetStreamPlanStore.for(await as(OPS)).get('p1'))?.cancelRequestedBy).toBe(`cert=${OPS}`);
  });
});
