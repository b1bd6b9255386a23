// `mco plan run` and `mco plan resume` against a real nats-server with JetStream, a simulated fleet told to fail or
// stay silent on some nodes, and a real daemon. Which node received which action is read from the fleet's audit log.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPlanStore } from '../../../src/plan/jetstream-store.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import type { VirtualNode } from '../../../src/server/fleet.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { MCO, runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import { clientConfig } from '../core/fleet.js';

const scratch = scratchDir('troupe-plan-');
const auditFile = `${scratch.dir}/fleet-audit.log`;
const planAudit = `${scratch.dir}/plan-audit.log`;
let broker: LocalNatsServer;
let sim: RunningSim;
let daemon: RunningDaemon;
let config: string;
let connector: NatsConnector;
let store: JetStreamPlanStore;

/** `count` nodes of one group, `<group>-NN`; `misbehave` picks the ones that fail or stay silent. */
function group(
  name: string,
  count: number,
  misbehave: (i: number) => VirtualNode['simulate'] | undefined = () => undefined,
): VirtualNode[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const simulate = misbehave(i);
    return { identity: `${name}-${String(i).padStart(2, '0')}`, facts: { group: name }, ...(simulate ? { simulate } : {}) };
  });
}
const failPing = { fail: ['rpcutil#ping'] };

const fleet: VirtualNode[] = [
  ...group('canary', 6, (i) => (i === 1 ? failPing : undefined)),
  ...group('batch', 8, (i) => (i === 3 || i === 4 ? failPing : undefined)),
  ...group('global', 9, (i) => (i % 3 === 1 ? failPing : undefined)),
  ...group('silent', 4, (i) => (i === 2 ? { silent: ['rpcutil#ping'] } : undefined)),
  ...group('resume', 12),
  ...group('dry', 5),
  ...group('steps', 4),
  ...group('cancel', 6),
  ...group('interrupt', 6),
];

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  const fleetFile = scratch.file('fleet.json', JSON.stringify({ nodes: fleet }));
  const simCfg = scratch.file(
    'sim.cfg',
    `securityprovider = insecure\nplugin.actionpolicy.allow_unconfigured = 1\nregisterinterval = 0\nrpcaudit = 1\nplugin.rpcaudit.logfile = ${auditFile}\n`,
  );
  sim = await startSim(['--fleet', fleetFile, '--server', broker.url, '-c', simCfg]);
  const facts = scratch.file('daemon-facts.yaml', 'group: resume\n');
  const log = `${scratch.dir}/daemon.log`;
  const daemonCfg = scratch.file(
    'daemon.cfg',
    [
      `identity = resume-99`,
      `middleware_hosts = ${broker.url}`,
      'securityprovider = insecure',
      'plugin.actionpolicy.allow_unconfigured = 1',
      `plugin.yaml = ${facts}`,
      'registerinterval = 0',
      'rpcaudit = 1',
      `plugin.rpcaudit.logfile = ${auditFile}`,
      `logfile = ${log}`,
      'loglevel = info',
      '',
    ].join('\n'),
  );
  daemon = await startDaemon(daemonCfg, log);
  config = clientConfig(scratch, broker.url, { plan_lease_period: 3, plan_audit_logfile: planAudit });
  connector = new NatsConnector({ servers: [broker.url], name: 'plan-test' });
  await connector.connect();
  store = JetStreamPlanStore.for(connector);
}, 60_000);

afterAll(async () => {
  await store?.close();
  await connector?.close();
  await daemon?.stop('SIGKILL');
  await sim?.stop();
  await broker?.stop();
  scratch.cleanup();
});

const mco = (args: string[], timeoutMs = 60_000) => runMco([...args, '--config', config], { timeoutMs });

/** Identities that received agent#action, with how many times each. */
function received(agent: string, action: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(auditFile)) return counts;
  for (const line of readFileSync(auditFile, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { identity: string; agent?: string; action?: string };
    if (entry.agent === agent && entry.action === action) counts.set(entry.identity, (counts.get(entry.identity) ?? 0) + 1);
  }
  return counts;
}

const ofGroup = (counts: Map<string, number>, name: string) => [...counts.keys()].filter((n) => n.startsWith(`${name}-`)).sort();

function pingPlan(name: string, group: string, batch: string, budget = '', extra = ''): string {
  return scratch.file(
    `${name}.yaml`,
    `name: ${name}\nnodes:\n  targets:\n    filter: { fact: group=${group} }\n${extra}steps:\n  - name: ping\n    nodes: targets\n` +
      `    rpc: { agent: rpcutil, action: ping, timeout: 3 }\n    batch: ${batch}\n${budget ? `    budget: ${budget}\n` : ''}`,
  );
}

interface Outcome {
  id: string;
  state: string;
  reason?: string;
  nodes?: string[];
  exitCode: number;
}

describe('mco plan run', () => {
  it('stops after a failed canary, before the second batch', async () => {
    const r = await mco(['plan', 'run', pingPlan('canary', 'canary', '{ canary: 1, size: 2 }', '{ batch: "50%", total: 3 }'), '--json']);
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as Outcome;
    expect(out.state).toBe('failed');
    expect(out.reason).toContain('canary');
    expect(out.nodes).toEqual(['canary-01']);
    expect(ofGroup(received('rpcutil', 'ping'), 'canary')).toEqual(['canary-01']);
    const nodes = await store.nodes(out.id, 'ping');
    expect(nodes.map((n) => [n.identity, n.outcome])).toEqual([['canary-01', 'failed']]);
  });

  it('stops when a batch exceeds its budget, naming the nodes', async () => {
    const r = await mco(['plan', 'run', pingPlan('per-batch', 'batch', '{ size: 2 }', '{ batch: "50%" }')]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/batch 2: 2 of 2 failed \(100%\), over the batch budget of 50%: batch-03, batch-04/);
    // Batches 3 and 4 never ran.
    expect(ofGroup(received('rpcutil', 'ping'), 'batch')).toEqual(['batch-01', 'batch-02', 'batch-03', 'batch-04']);
  });

  it('stops when the failures across batches exceed the global budget', async () => {
    // One failure in each batch of three: 33% is within the batch budget, the second failure is over the total of 1.
    const r = await mco(['plan', 'run', pingPlan('global', 'global', '{ size: 3 }', '{ batch: "50%", total: 1 }'), '--json']);
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as Outcome;
    expect(out.reason).toMatch(/2 of 9 failed so far .*over the step's budget of 1/);
    expect(out.nodes).toEqual(['global-01', 'global-04']);
    expect(ofGroup(received('rpcutil', 'ping'), 'global')).toEqual([
      'global-01',
      'global-02',
      'global-03',
      'global-04',
      'global-05',
      'global-06',
    ]);
  });

  it('counts a silent node as failed', async () => {
    const r = await mco(['plan', 'run', pingPlan('silent', 'silent', '{ size: 4 }'), '--json']);
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as Outcome;
    expect(out.nodes).toEqual(['silent-02']);
    const nodes = new Map((await store.nodes(out.id, 'ping')).map((n) => [n.identity, n.outcome]));
    expect(nodes.get('silent-02')).toBe('silent');
    expect(nodes.get('silent-01')).toBe('ok');
    // The node ran the action; only its reply was lost.
    expect(received('rpcutil', 'ping').get('silent-02')).toBe(1);
  });

  it('could not start (exit 1) when a node set has fewer nodes than at_least, and runs nothing', async () => {
    const before = received('rpcutil', 'ping').size;
    const r = await mco(['plan', 'run', pingPlan('too-few', 'dry', '{ size: 1 }', '', '    at_least: 6\n'), '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout) as Outcome).reason).toMatch(/node set targets: 5 node\(s\) matched, at least 6 needed/);
    expect(received('rpcutil', 'ping').size).toBe(before);
  });

  it('--plan shows node sets, batches and steps, and sends nothing', async () => {
    const runsBefore = (await store.list()).length;
    const linesBefore = readFileSync(auditFile, 'utf8').split('\n').length - 1;
    const r = await mco(['plan', 'run', pingPlan('dry', 'dry', '{ canary: 1, size: "50%" }', '', '    test: ping\n'), '--plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const dry = JSON.parse(r.stdout) as { nodes: Array<{ count: number; nodes: string[] }>; steps: Array<{ batches: number[] }> };
    expect(dry.nodes[0]!.nodes).toEqual(['dry-01', 'dry-02', 'dry-03', 'dry-04', 'dry-05']);
    expect(dry.steps[0]!.batches).toEqual([1, 3, 1]);
    // What reached the nodes: the one discovery broadcast, no action, and no `test: ping`.
    const after = readFileSync(auditFile, 'utf8')
      .split('\n')
      .slice(linesBefore)
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>);
    const dryLines = after.filter((l) => l.identity!.startsWith('dry-'));
    expect(dryLines).toHaveLength(5);
    expect(new Set(dryLines.map((l) => `${l.agent}#${l.action} ${l.requestid}`)).size).toBe(1);
    expect(dryLines[0]!.agent).toBe('discovery');
    expect((await store.list()).length).toBe(runsBefore);
  });

  it('refuses a bad plan file with the path and line, before connecting', async () => {
    const bad = scratch.file('bad.yaml', 'name: bad\nsteps:\n  - name: one\n    sleep: 1\n    budget: { batch: 2 }\n');
    const r = await mco(['plan', 'run', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.yaml:5: /steps/0/budget: a sleep step acts on no nodes; 'budget' does not apply");
  });
});

describe('mco plan resume', () => {
  it('finishes a run whose runner was killed, without re-running nodes already done', async () => {
    const file = pingPlan('resume', 'resume', '{ size: 2, pause: 0.5 }');
    const child = spawn(process.execPath, [MCO, 'plan', 'run', file, '--json', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Wait until the runner has recorded two batches, then kill it without warning.
    let id: string | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = (await store.list()).find((r) => r.plan === 'resume');
      id = run?.id;
      if (id && (await store.nodes(id, 'ping')).length >= 4) break;
      if (Date.now() > deadline) throw new Error('the runner never recorded two batches');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    const doneBefore = (await store.nodes(id, 'ping')).filter((n) => n.outcome === 'ok').map((n) => n.identity);
    expect((await store.get(id))!.state).toBe('running');

    const r = await mco(['plan', 'resume', id, '--json'], 90_000);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Outcome).state).toBe('succeeded');
    const pings = received('rpcutil', 'ping');
    // 12 simulated nodes and the real daemon: every one pinged, and those done before the kill exactly once.
    expect(ofGroup(pings, 'resume')).toHaveLength(13);
    for (const node of doneBefore) expect(pings.get(node), node).toBe(1);
    expect((await store.nodes(id, 'ping')).every((n) => n.outcome === 'ok')).toBe(true);
    const audits = readFileSync(planAudit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audits.find((a) => a.id === id && a.resumed === true)).toMatchObject({ state: 'succeeded', plan: 'resume' });
  }, 120_000);

  it('Ctrl-C stops at the batch boundary and leaves the run for resume, lease released', async () => {
    const file = pingPlan('interrupt', 'interrupt', '{ size: 2, pause: 1 }');
    const child = spawn(process.execPath, [MCO, 'plan', 'run', file, '--json', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let id: string | undefined;
    for (const deadline = Date.now() + 60_000; ;) {
      id = (await store.list()).find((r) => r.plan === 'interrupt')?.id;
      if (id && (await store.nodes(id, 'ping')).length >= 2) break;
      if (Date.now() > deadline) throw new Error('the runner never recorded a batch');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(2);
    const run = (await store.get(id))!;
    expect(run.state).toBe('running');
    expect(run.runner).toBeUndefined();
    const r = await mco(['plan', 'resume', id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((await store.nodes(id, 'ping')).map((n) => n.outcome)).toEqual(Array(6).fill('ok'));
  }, 120_000);

  it('refuses to resume when the plan file changed', async () => {
    const file = pingPlan('changed', 'dry', '{ size: 1 }');
    const at = new Date().toISOString();
    await store.create({
      id: 'changed-1',
      plan: 'changed',
      file,
      planDigest: '0'.repeat(64),
      inputs: {},
      caller: 'test',
      startedAt: at,
      updatedAt: at,
      state: 'running',
    });
    const r = await mco(['plan', 'resume', 'changed-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has changed since run changed-1 began');
  });
});

describe('step kinds', () => {
  let hooks: Server;
  let hookUrl = '';
  const posted: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => hooks.close(resolve));
  });

  it('wait_for polls until its assertion holds; on failure on_fail posts a webhook with the run id, and finally runs', async () => {
    const file = scratch.file(
      'waits.yaml',
      `name: waits
inputs:
  expect: { type: string }
nodes:
  targets: { filter: { fact: group=steps } }
steps:
  - name: holds
    nodes: targets
    wait_for: { agent: rpcutil, action: get_fact, inputs: { fact: group }, assert: value=steps, tries: 2, sleep: 0.1 }
  - name: never
    nodes: targets
    wait_for: { agent: rpcutil, action: get_fact, inputs: { fact: group }, assert: "value={{ inputs.expect }}", tries: 3, sleep: 0.1 }
    budget: { total: "50%" }
on_fail:
  - name: tell
    webhook: { url: "${hookUrl}", body: { revision: "{{ inputs.expect }}" } }
finally:
  - name: bye
    message: "done with {{ steps.holds.ok }} healthy"
`,
    );
    const r = await mco(['plan', 'run', file, '--set', 'expect=nope', '--json']);
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as Outcome & { steps: Array<{ step: string; state: string; result?: { message?: string } }> };
    expect(out.nodes).toEqual(['steps-01', 'steps-02', 'steps-03', 'steps-04']);
    expect(out.steps.map((s) => [s.step, s.state])).toEqual([
      ['holds', 'done'],
      ['never', 'failed'],
      ['on_fail.tell', 'done'],
      ['finally.bye', 'done'],
    ]);
    expect(out.steps[3]!.result!.message).toBe('done with 4 healthy');
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ plan: 'waits', run_id: out.id, step: 'on_fail.tell', revision: 'nope' });
    expect(posted[0]!.reason).toMatch(/never batch 1: 4 of 4 failed so far/);
    // Three tries of the failing assertion per node, after the passing poll's one.
    expect(received('rpcutil', 'get_fact').get('steps-01')).toBe(4);
  });

  it('runs a nested plan with its own inputs and node sets, recorded under the step', async () => {
    scratch.file(
      'child.yaml',
      'name: child\ninputs:\n  group: { type: string }\nnodes:\n  mine: { filter: { fact: "group={{ inputs.group }}" } }\nsteps:\n  - name: ping\n    nodes: mine\n    rpc: { agent: rpcutil, action: ping }\n',
    );
    const parent = scratch.file(
      'parent.yaml',
      'name: parent\nsteps:\n  - name: inner\n    plan: { file: child.yaml, inputs: { group: steps } }\n',
    );
    const r = await mco(['plan', 'run', parent, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Outcome;
    expect((await store.nodes(out.id, 'inner.ping')).map((n) => n.identity).sort()).toEqual([
      'steps-01',
      'steps-02',
      'steps-03',
      'steps-04',
    ]);
  });

  it('a sliding window keeps its width in flight and the run succeeds', async () => {
    const r = await mco(['plan', 'run', pingPlan('window', 'steps', '{ mode: window, size: 2 }'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Outcome;
    expect((await store.nodes(out.id, 'ping')).map((n) => n.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('runs a step under a governor, and stops at a governor that does not exist', async () => {
    expect((await mco(['governor', 'add', 'plan_test', '1', '1m'])).code).toBe(0);
    const r = await mco(['plan', 'run', pingPlan('governed', 'steps', '{ size: 2 }'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const governed = scratch.file('governed2.yaml', readFileSync(`${scratch.dir}/governed.yaml`, 'utf8') + '    governor: plan_test\n');
    const g = await mco(['plan', 'run', governed, '--json']);
    expect(g.code, g.stderr).toBe(0);
    const missing = scratch.file('governed3.yaml', readFileSync(`${scratch.dir}/governed.yaml`, 'utf8') + '    governor: no_such\n');
    const m = await mco(['plan', 'run', missing, '--json']);
    expect(m.code).toBe(2);
    expect((JSON.parse(m.stdout) as Outcome).reason).toMatch(/no governor 'no_such'/);
  }, 120_000);

  it('mco plan cancel stops the run between batches', async () => {
    const file = pingPlan('cancel', 'cancel', '{ size: 1, pause: 1 }');
    const child = spawn(process.execPath, [MCO, 'plan', 'run', file, '--json', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let id: string | undefined;
    for (const deadline = Date.now() + 60_000; ;) {
      id = (await store.list()).find((r) => r.plan === 'cancel')?.id;
      if (id && (await store.nodes(id, 'ping')).length >= 1) break;
      if (Date.now() > deadline) throw new Error('the runner never recorded a batch');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await mco(['plan', 'cancel', id])).code).toBe(0);
    expect(await exited).toBe(2);
    const out = JSON.parse(stdout) as Outcome;
    expect(out.state, out.reason).toBe('cancelled');
    expect(out.reason).toMatch(/^cancelled by /);
    expect(ofGroup(received('rpcutil', 'ping'), 'cancel').length).toBeLessThan(6);
    expect((await store.get(id))!.state).toBe('cancelled');
  }, 120_000);
});
