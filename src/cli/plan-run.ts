// `mco plan run FILE [--set k=v]... [--plan] [--json]` and `mco plan resume ID`: rollout plans from the command line.
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { Config } from '../config/index.js';
import type { DryRun, PlanEvent, PlanOutcome, PlanStore, RunnerOptions } from '../plan/index.js';
import type { Output } from '../client/session.js';
import { CliSession, clientConfig } from './session.js';
import { securityFromConfig } from './security.js';

type Raw = Record<string, unknown>;
// The action wrapper of cli/main.ts, whose commander callbacks take each command's own arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Runner = (fn: (...args: any[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The `plan` command group, made once whoever registers first. */
export function planGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'plan') ??
    program.command('plan').description('rollout plans: run, resume, status, list, cancel')
  );
}

function timeOfDay(): string {
  return new Date().toISOString().slice(11, 19);
}

/** One line per event, as a rollout log reads. */
export function textEvents(out: Output): (e: PlanEvent) => void {
  const say = (line: string) => void out.write(`${timeOfDay()} ${line}\n`);
  return (e) => {
    switch (e.type) {
      case 'start':
        return say(`plan ${e.plan}: run ${e.id} ${e.resumed ? 'resumed' : 'started'} by ${e.caller}`);
      case 'nodes':
        return say(
          `node set ${e.set}: ${e.count} node(s)${e.reused ? ' (as recorded)' : ` (${e.method} discovery)`}${e.skipped ? ', empty: its steps are skipped' : ''}`,
        );
      case 'step': {
        const shape = e.batches
          ? ` in ${e.batches.length} batch(es) of ${summarizeSizes(e.batches)}`
          : e.window
            ? ` in a sliding window of ${e.window}`
            : '';
        const resumed = e.resumedWith ? `, ${e.resumedWith} already done` : '';
        return say(`step ${e.step} (${e.kind})${e.nodes !== undefined ? `: ${e.nodes} node(s)${shape}${resumed}` : ''}`);
      }
      case 'batch': {
        const bad = [...e.failed.map((n) => `${n} failed (${e.why[n] ?? '?'})`), ...e.silent.map((n) => `${n} silent`)];
        return say(
          `  batch ${e.batch}/${e.of}: ${e.ok} of ${e.size} ok${bad.length ? ` — ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ` and ${bad.length - 10} more` : ''}` : ''}`,
        );
      }
      case 'step_done': {
        const r = e.result;
        const counts = r && typeof r.ok === 'number' ? `: ${r.ok} ok, ${r.failed.length} failed, ${r.silent.length} silent` : '';
        return say(`step ${e.step} ${e.state}${counts}`);
      }
      case 'message':
        return say(`step ${e.step}: ${e.text}`);
      case 'waiting':
        return say(e.text);
      case 'stopped':
        return say(`stopped: ${e.reason}`);
      case 'finish':
        return say(`plan run ${e.id} ${e.state}`);
    }
  };
}

function summarizeSizes(sizes: number[]): string {
  return sizes.length > 6 ? `${sizes.slice(0, 5).join(', ')}, … ${sizes[sizes.length - 1]}` : sizes.join(', ');
}

function printDryRun(out: Output, d: DryRun): void {
  out.write(`plan ${d.plan}${d.file ? ` (${d.file})` : ''} — dry run, nothing is sent\n`);
  const inputs = Object.entries(d.inputs);
  if (inputs.length) out.write(`inputs:\n${inputs.map(([k, v]) => `  ${k} = ${JSON.stringify(v)}\n`).join('')}`);
  out.write('node sets:\n');
  for (const n of d.nodes) {
    const shown = n.nodes.slice(0, 8).join(', ') + (n.nodes.length > 8 ? `, … (${n.nodes.length - 8} more)` : '');
    out.write(
      `  ${n.name}: ${n.count} node(s) by ${n.method}${n.skipped ? ' — empty, steps skipped' : ''}${n.test ? `, test: ${n.test} before running` : ''}\n`,
    );
    if (shown) out.write(`    ${shown}\n`);
  }
  out.write('steps:\n');
  for (const s of d.steps) {
    const batches = s.batches
      ? ` — batches ${summarizeSizes(s.batches)}${s.canary ? ' (canary first)' : ''}`
      : s.window
        ? ` — sliding window of ${s.window}`
        : '';
    out.write(`  ${s.step} (${s.kind})${s.nodes ? ` on ${s.nodes}: ${s.count} node(s)${batches}` : ''}\n    ${JSON.stringify(s.detail)}\n`);
  }
}

/** Where runs are kept: the broker's JetStream, so another operator's host can show, cancel or resume them. */
async function planStore(session: CliSession, config: Config): Promise<PlanStore> {
  const { JetStreamPlanStore } = await import('../plan/jetstream-store.js');
  return JetStreamPlanStore.for(await session.connected(), {
    name: config.get('plan_bucket'),
    leaseMs: config.get('plan_lease_period') * 1000,
  });
}

async function withPlanRunner(raw: Raw, fn: (o: RunnerOptions, session: CliSession) => Promise<PlanOutcome>): Promise<number> {
  const config = clientConfig(raw.config as string | undefined);
  const session = new CliSession(config);
  const json = Boolean(raw.json);
  const { PlanAuditLog } = await import('../plan/index.js');
  const { Governor } = await import('../plan/governor.js');
  const auditFile = config.get('plan_audit_logfile');
  const audit = auditFile ? new PlanAuditLog(auditFile) : undefined;
  // Ctrl-C stops at the next batch boundary, leaving the run resumable; a second one exits at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    session.err.write('mco: stopping after the current batch (Ctrl-C again to quit now; mco plan resume continues)\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  let store: PlanStore | undefined;
  try {
    store = await planStore(session, config);
    const connector = await session.connected();
    const outcome = await fn(
      {
        session,
        store,
        caller: securityFromConfig(config, 'client').callerId() || `${process.env.USER ?? 'unknown'}@${hostname()}`,
        onEvent: json ? undefined : textEvents(session.out),
        audit: audit ? (r) => audit.record(r) : undefined,
        leaseMs: config.get('plan_lease_period') * 1000,
        signal: interrupt.signal,
        governor: (name) => Governor.for(connector, name),
      },
      session,
    );
    if (json) session.out.write(JSON.stringify(outcome, null, 2) + '\n');
    else if (outcome.state !== 'succeeded') session.err.write(`mco: plan run ${outcome.id} ${outcome.state}: ${outcome.reason ?? ''}\n`);
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    audit?.close();
    await store?.close().catch(() => undefined);
    await session.close();
  }
}

async function runCommand(file: string, raw: Raw): Promise<number> {
  // The plan modules load only for plan commands, so every other mco command starts as fast as before.
  const { describePlan, loadPlanFile, parseSets, startPlan } = await import('../plan/index.js');
  const plan = loadPlanFile(file);
  const given = parseSets((raw.set as string[] | undefined) ?? []);
  if (raw.plan) {
    const session = new CliSession(clientConfig(raw.config as string | undefined));
    try {
      const dry = await describePlan(session, plan, given);
      if (raw.json) session.out.write(JSON.stringify(dry, null, 2) + '\n');
      else printDryRun(session.out, dry);
      return 0;
    } finally {
      await session.close();
    }
  }
  return withPlanRunner(raw, (o) => startPlan(o, plan, given));
}

export function registerPlanRunCommands(program: Command, run: Runner): void {
  const plan = planGroup(program);
  plan
    .command('run')
    .description('run a rollout plan: node sets, batches, failure budgets; exit 0 done, 1 could not start, 2 stopped by a failure')
    .argument('<file>', 'the plan (YAML)')
    .option('--set <key=value>', 'an input of the plan (repeat for more)', collect)
    .option('--plan', 'dry run: print the resolved inputs, node sets, batches and steps; send nothing')
    .option('-j, --json', 'print the outcome (or the dry run) as JSON')
    .option('-c, --config <file>', 'client config file')
    .option('--debug', 'print stack traces on errors')
    .action(run((file: string, raw: Raw) => runCommand(file, raw)));
  plan
    .command('resume')
    .description('continue a plan run whose runner stopped: done steps and nodes are not run again')
    .argument('<id>', 'the plan run id (mco plan list)')
    .option('-j, --json', 'print the outcome as JSON')
    .option('-c, --config <file>', 'client config file')
    .option('--debug', 'print stack traces on errors')
    .action(
      run(async (id: string, raw: Raw) => {
        const { resumePlan } = await import('../plan/index.js');
        return withPlanRunner(raw, (o) => resumePlan(o, id));
      }),
    );
}
