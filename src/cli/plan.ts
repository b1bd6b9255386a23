// `mco plan status|list|cancel`: plan runs as JetStream keeps them (plan/jetstream-store.ts), from any operator's
// host. `run` and `resume` join this group from cli/plan-run.ts.
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { UsageError } from '../client/errors.js';
import { EXIT } from '../client/exit-codes.js';
import { JetStreamPlanStore } from '../plan/jetstream-store.js';
import { PlanStoreError, type NodeRecord, type PlanRunRecord, type PlanStore, type StepRecord } from '../plan/store.js';
import type { Connector } from '../transport/index.js';
import { withBroker, type BrokerUse } from './jetstream.js';

type Raw = Record<string, unknown>;
// The action wrapper of cli/main.ts, whose commander callbacks take each command's own arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Run = (fn: (...args: any[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;

const out = (line: string) => process.stdout.write(line + '\n');

/** The plan store of a client: the bucket named by `plan_bucket` on the client's broker. */
export function planStoreFor(connector: Connector, config: Config): PlanStore {
  return JetStreamPlanStore.for(connector, { name: config.get('plan_bucket') });
}

/** Connects, opens the plan store, runs `fn` and closes both; store failures read as one line with a hint. */
export async function withPlanStore<T>(raw: Raw, fn: (store: PlanStore, use: BrokerUse) => Promise<T>): Promise<T> {
  return withBroker(raw, async (use) => {
    const store = planStoreFor(use.connector, use.config);
    try {
      return await fn(store, use);
    } catch (err) {
      throw explain(err);
    } finally {
      await store.close();
    }
  });
}

function explain(err: unknown): unknown {
  if (!(err instanceof PlanStoreError)) return err;
  if (err.code === 'not_found') return new UsageError(err.message, '`mco plan list` shows the plan runs there are', 'not_found');
  if (err.code === 'corrupt')
    return new UsageError(err.message, 'the record was not written by troupe, or was damaged in the broker', 'corrupt');
  if (err.code === 'unavailable')
    return new UsageError(
      err.message,
      'plan state needs NATS with JetStream, and broker permission for the plan bucket (`mco broker config`)',
      'unavailable',
    );
  return new UsageError(err.message, undefined, err.code);
}

/** A run's exit code, as mco's: 0 succeeded or still running, 2 failed or cancelled. */
export function runExitCode(run: PlanRunRecord): number {
  return run.state === 'failed' || run.state === 'cancelled' ? EXIT.SOME_FAILED : EXIT.OK;
}

export interface StepView extends StepRecord {
  batches: Array<{ batch: number; ok: number; failed: string[]; silent: string[] }>;
}

export interface RunView extends PlanRunRecord {
  steps: StepView[];
}

function batchesOf(nodes: NodeRecord[]): StepView['batches'] {
  const byBatch = new Map<number, StepView['batches'][number]>();
  for (const n of nodes) {
    const b = byBatch.get(n.batch) ?? { batch: n.batch, ok: 0, failed: [], silent: [] };
    if (n.outcome === 'ok') b.ok++;
    else b[n.outcome].push(n.identity);
    byBatch.set(n.batch, b);
  }
  return [...byBatch.values()].sort((a, b) => a.batch - b.batch);
}

export async function loadRunView(store: PlanStore, id: string): Promise<RunView> {
  const run = await store.get(id);
  if (!run) throw new PlanStoreError('not_found', `no plan run ${id}`);
  const steps = await store.steps(id);
  const views = await Promise.all(steps.map(async (s) => ({ ...s, batches: batchesOf(await store.nodes(id, s.step)) })));
  return { ...run, steps: views };
}

const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const when = (iso?: string) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function names(list: string[], max = 10): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

export function renderRun(v: RunView, now = Date.now()): string[] {
  const lines = [`Plan run ${v.id}: ${v.plan}${v.file ? ` (${v.file})` : ''}`];
  const field = (label: string, text: string) => lines.push(`${label.padStart(14)}: ${text}`);
  field('state', v.state + (v.cancelRequestedBy && v.state === 'running' ? ` (cancel requested by ${v.cancelRequestedBy})` : ''));
  field('started by', `${v.caller} at ${when(v.startedAt)}`);
  if (v.finishedAt) field('finished', when(v.finishedAt));
  if (v.currentStep) field('current step', v.currentStep);
  const inputs = Object.entries(v.inputs);
  field('inputs', inputs.length ? inputs.map(([k, x]) => `${k}=${value(x)}`).join(' ') : 'none');
  if (v.runner && v.state === 'running')
    field(
      'runner',
      `${v.runner.host} pid ${v.runner.pid}, heartbeat ${Math.max(0, Math.round((now - Date.parse(v.runner.heartbeatAt)) / 1000))}s ago`,
    );
  if (v.reason) field('reason', v.reason);
  if (v.cancelRequestedBy && v.state !== 'running') field('cancelled by', v.cancelRequestedBy);
  lines.push('');
  if (v.steps.length === 0) {
    lines.push('No step has started yet');
    return lines;
  }
  lines.push('Steps:');
  for (const s of v.steps) {
    lines.push(`  ${s.step}: ${s.state}, ${when(s.startedAt)}${s.finishedAt ? ` to ${when(s.finishedAt)}` : ''}`);
    for (const b of s.batches) {
      const parts = [`${b.ok} ok`];
      if (b.failed.length) parts.push(`${b.failed.length} failed: ${names(b.failed)}`);
      if (b.silent.length) parts.push(`${b.silent.length} silent: ${names(b.silent)}`);
      lines.push(`    batch ${b.batch}: ${parts.join('; ')}`);
    }
  }
  return lines;
}

async function status(id: string, raw: Raw): Promise<number> {
  return withPlanStore(raw, async (store) => {
    const view = await loadRunView(store, id);
    if (raw.json) out(JSON.stringify(view, null, 2));
    else for (const line of renderRun(view)) out(line);
    return runExitCode(view);
  });
}

async function list(raw: Raw): Promise<number> {
  return withPlanStore(raw, async (store) => {
    const runs = await store.list();
    if (raw.json) {
      out(JSON.stringify(runs, null, 2));
      return EXIT.OK;
    }
    if (runs.length === 0) {
      out('No plan runs');
      return EXIT.OK;
    }
    const rows = [
      ['ID', 'PLAN', 'STATE', 'STEP', 'STARTED', 'BY'],
      ...runs.map((r) => [r.id, r.plan, r.state, r.currentStep ?? '-', when(r.startedAt), r.caller]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    return EXIT.OK;
  });
}

async function cancel(id: string, raw: Raw): Promise<number> {
  return withPlanStore(raw, async (store, use) => {
    const run = await store.get(id);
    if (!run) throw new PlanStoreError('not_found', `no plan run ${id}`);
    if (run.state !== 'running')
      throw new UsageError(`plan run ${id} has already ${run.state === 'cancelled' ? 'been cancelled' : run.state}`, undefined, 'finished');
    await store.requestCancel(id, use.who());
    out(`Cancel requested for plan run ${id}: its runner stops before the next batch and records it as cancelled`);
    return EXIT.OK;
  });
}

/** Registers `mco plan` with status, list and cancel; returns the group so `run` and `resume` can join it. */
export function registerPlanCommand(program: Command, run: Run): Command {
  const plan = program.command('plan').description('rollout plans: their runs, kept in JetStream');
  const common = (cmd: Command) =>
    cmd.option('-c, --config <file>', 'client config file').option('--debug', 'print stack traces on errors');

  common(
    plan
      .command('status')
      .description('a plan run: inputs, who, state, each step with its batches and node outcomes (exit 2 when it failed)'),
  )
    .argument('<id>', 'plan run id')
    .option('-j, --json', 'JSON output')
    .action(run((id: string, raw: Raw) => status(id, raw)));

  common(plan.command('list').description('every plan run, newest first'))
    .option('-j, --json', 'JSON output')
    .action(run((raw: Raw) => list(raw)));

  common(plan.command('cancel').description('ask the runner of a plan run to stop before its next batch'))
    .argument('<id>', 'plan run id')
    .action(run((id: string, raw: Raw) => cancel(id, raw)));

  return plan;
}
