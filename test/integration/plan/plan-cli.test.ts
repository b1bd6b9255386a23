// `mco plan status|list|cancel` as real mco processes, reading runs a runner wrote to JetStream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPlanStore } from '../../../src/plan/jetstream-store.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, runMco } from '../../helpers/mco.js';

let server: LocalNatsServer;
let bare: LocalNatsServer;
let connector: NatsConnector;
let store: JetStreamPlanStore;
let cfg: string;

const plan = (...args: string[]) => runMco(['plan', ...args, '-c', cfg], { timeoutMs: 60_000 });

beforeAll(async () => {
  [server, bare] = await Promise.all([startNatsServer({ jetstream: true }), startNatsServer()]);
  cfg = clientConfigFor(server.url, { plan_bucket: 'cli_plans' });
  connector = new NatsConnector({ servers: [server.url] });
  await connector.connect();
  store = JetStreamPlanStore.for(connector, { name: 'cli_plans' });
  const beat = new Date().toISOString();
  await store.create({
    id: 'run-failed',
    plan: 'deploy',
    file: 'deploy.yaml',
    planDigest: 'ab'.repeat(32),
    inputs: { version: '1.2.3', canary: true },
    caller: 'cert=ops.troupe',
    startedAt: '2026-03-01T10:00:00.000Z',
    updatedAt: beat,
    state: 'failed',
    currentStep: 'rollout',
    reason: 'failure budget of 1 exceeded in step rollout: db2.example.net, web7.example.net',
    finishedAt: '2026-03-01T10:05:00.000Z',
  });
  await store.recordStep('run-failed', {
    step: 'canary',
    state: 'done',
    startedAt: '2026-03-01T10:00:01.000Z',
    finishedAt: '2026-03-01T10:01:00.000Z',
  });
  await store.recordStep('run-failed', {
    step: 'rollout',
    state: 'failed',
    startedAt: '2026-03-01T10:01:01.000Z',
    finishedAt: '2026-03-01T10:05:00.000Z',
  });
  await store.recordNodes('run-failed', 'canary', [{ identity: 'web1.example.net', outcome: 'ok', batch: 1, statuscode: 0, at: beat }]);
  await store.recordNodes('run-failed', 'rollout', [
    ...['web2', 'web3', 'web4'].map((n) => ({ identity: `${n}.example.net`, outcome: 'ok' as const, batch: 1, statuscode: 0, at: beat })),
    { identity: 'db2.example.net', outcome: 'failed', batch: 2, statuscode: 1, statusmsg: 'Puppet is disabled', at: beat },
    { identity: 'web7.example.net', outcome: 'silent', batch: 2, at: beat },
    { identity: 'web5.example.net', outcome: 'ok', batch: 2, statuscode: 0, at: beat },
  ]);
  await store.create({
    id: 'run-live',
    plan: 'restart',
    planDigest: 'cd'.repeat(32),
    inputs: {},
    caller: 'cert=alice.troupe',
    startedAt: '2026-03-02T09:00:00.000Z',
    updatedAt: beat,
    state: 'running',
    currentStep: 'drain',
    runner: { host: 'ops1', pid: 4242, heartbeatAt: beat },
  });
}, 60_000);

afterAll(async () => {
  await connector?.close();
  await Promise.all([server?.stop(), bare?.stop()]);
});

describe('mco plan', () => {
  it('shows a stopped run: inputs, who, state, reason, and each step with its batches and the failed and silent nodes', async () => {
    const r = await plan('status', 'run-failed');
    expect(r.code, r.stderr).toBe(2); // a failed run fails the command, as failed nodes fail mco rpc
    expect(r.stdout).toContain('Plan run run-failed: deploy (deploy.yaml)');
    expect(r.stdout).toMatch(/state: failed\n/);
    expect(r.stdout).toContain('started by: cert=ops.troupe at 2026-03-01 10:00:00Z');
    expect(r.stdout).toContain('current step: rollout');
    expect(r.stdout).toContain('inputs: version=1.2.3 canary=true');
    expect(r.stdout).toContain('reason: failure budget of 1 exceeded in step rollout: db2.example.net, web7.example.net');
    expect(r.stdout).toContain('Steps:\n  canary: done, 2026-03-01 10:00:01Z to 2026-03-01 10:01:00Z\n    batch 1: 1 ok\n');
    expect(r.stdout).toContain(
      '  rollout: failed, 2026-03-01 10:01:01Z to 2026-03-01 10:05:00Z\n    batch 1: 3 ok\n    batch 2: 1 ok; 1 failed: db2.example.net; 1 silent: web7.example.net\n',
    );
  }, 120_000);

  it('gives the same as JSON, and exits 0 for a run still going', async () => {
    const failed = await plan('status', 'run-failed', '--json');
    const view = JSON.parse(failed.stdout) as {
      state: string;
      steps: Array<{ step: string; batches: Array<{ batch: number; ok: number; failed: string[]; silent: string[] }> }>;
    };
    expect(view.state).toBe('failed');
    expect(view.steps.find((s) => s.step === 'rollout')?.batches).toEqual([
      { batch: 1, ok: 3, failed: [], silent: [] },
      { batch: 2, ok: 1, failed: ['db2.example.net'], silent: ['web7.example.net'] },
    ]);
    const live = await plan('status', 'run-live');
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/runner: ops1 pid 4242, heartbeat \d+s ago/);
    expect(live.stdout).toContain('No step has started yet');
  }, 120_000);

  it('lists runs newest first, as a table and as JSON', async () => {
    const r = await plan('list');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +PLAN +STATE +STEP +STARTED +BY$/);
    expect(lines[1]).toMatch(/^run-live +restart +running +drain +2026-03-02 09:00:00Z +cert=alice.troupe$/);
    expect(lines[2]).toMatch(/^run-failed +deploy +failed +rollout/);
    const json = JSON.parse((await plan('list', '--json')).stdout) as Array<{ id: string }>;
    expect(json.map((x) => x.id)).toEqual(['run-live', 'run-failed']);
  }, 120_000);

  it('records who asked to cancel a running run, and refuses to cancel a finished or unknown one', async () => {
    const r = await plan('cancel', 'run-live');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Cancel requested for plan run run-live');
    expect((await store.get('run-live'))?.cancelRequestedBy).toBe('user=' + (process.env.USER ?? 'root'));
    expect((await plan('status', 'run-live')).stdout).toContain('state: running (cancel requested by user=');

    const done = await plan('cancel', 'run-failed');
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('mco: plan run run-failed has already failed');
    const unknown = await plan('status', 'no-such-run');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('mco: no plan run no-such-run\n     `mco plan list` shows the plan runs there are\n');
  }, 120_000);

  it('says corrupt for a damaged record and unavailable without JetStream, in one line each', async () => {
    const kv = await connector.jetStream().client().views.kv('cli_plans');
    await kv.put('run.damaged', new TextEncoder().encode('{"id":'));
    const r = await plan('status', 'damaged');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mco: the plan run record stored under 'run.damaged' is not JSON/);
    expect(r.stderr).not.toContain('    at ');
    const none = await runMco(['plan', 'list', '-c', clientConfigFor(bare.url)], { timeoutMs: 60_000 });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('mco: plan state needs NATS with JetStream');
    await kv.delete('run.damaged');
  }, 120_000);
});
