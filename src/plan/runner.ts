// Runs a plan: resolves its node sets (with their guards) before anything runs, then its steps in order, each in
// batches with failure budgets, recording every step and node outcome in the store as it goes, so that another
// runner can show, cancel or resume the run. Stops at the first exceeded budget and names the nodes.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, resolve as resolvePath } from 'node:path';
import { buildFilter } from '../filter/index.js';
import { discover, type TargetOptions } from '../client/request.js';
import { sleep } from '../client/rpc-client.js';
import type { ClientSession } from '../client/session.js';
import { checkCall, ddlFor, pingNodes, puppetBatch, rpcBatch, waitForBatch, type ActionContext, type NodeResult } from './actions.js';
import { batchSizes, splitBatches, windowWidth } from './batching.js';
import { FailureBudget, type Exceeded } from './budget.js';
import { PlanError } from './errors.js';
import { resolveInputs, shownInputs } from './inputs.js';
import { loadPlanFile, type LoadedPlan } from './load.js';
import { NODE_KINDS, stepKind, type NodeSetSpec, type PlanSpec, type StepKind, type StepSpec } from './model.js';
import type { NodeRecord, PlanRunRecord, PlanStore, RunnerLease, RunState, StepRecord } from './store.js';
import { render } from './template.js';

export const PLAN_EXIT = { OK: 0, NOT_STARTED: 1, STOPPED: 2 } as const;

export type PlanEvent =
  | { type: 'start'; id: string; plan: string; caller: string; resumed: boolean }
  | { type: 'nodes'; set: string; count: number; method: string; skipped: boolean; reused: boolean }
  | { type: 'step'; step: string; kind: StepKind; nodes?: number; batches?: number[]; window?: number; resumedWith?: number }
  | {
      type: 'batch';
      step: string;
      batch: number;
      of: number;
      size: number;
      ok: number;
      failed: string[];
      silent: string[];
      why: Record<string, string>;
    }
  | { type: 'step_done'; step: string; state: StepRecord['state']; result?: StepResult }
  | { type: 'message'; step: string; text: string }
  | { type: 'waiting'; text: string }
  | { type: 'stopped'; state: RunState; reason: string; nodes: string[] }
  | { type: 'finish'; id: string; state: RunState };

export interface GovernorSlot {
  release(): Promise<void> | void;
}
/** At most N holders fleet-wide (plan/governor.ts); a step naming one holds a slot for each of its batches. */
export type GovernorFactory = (name: string) => {
  acquire(o: { holder: string; maxWaitMs: number; signal?: AbortSignal }): Promise<GovernorSlot>;
};

export interface PlanAuditRecord {
  id: string;
  plan: string;
  file?: string;
  digest: string;
  caller: string;
  resumed: boolean;
  inputs: Record<string, unknown>;
  state: RunState;
  reason?: string;
  nodes?: string[];
  started_at: string;
  finished_at: string;
  steps: Array<{ step: string; state: string; ok?: number; failed?: number; silent?: number }>;
}

export interface RunnerOptions {
  session: ClientSession;
  store: PlanStore;
  /** Who runs it: the signing identity's name. */
  caller: string;
  onEvent?(e: PlanEvent): void;
  audit?(record: PlanAuditRecord): void;
  /** The store's lease period; the runner renews its lease three times per period. */
  leaseMs?: number;
  governor?: GovernorFactory;
  signal?: AbortSignal;
}

export interface StepResult {
  nodes: number;
  ok: number;
  failed: string[];
  silent: string[];
}

export interface PlanOutcome {
  id: string;
  plan: string;
  state: RunState;
  reason?: string;
  /** The nodes that spent the budget that stopped the run. */
  nodes?: string[];
  exitCode: number;
  steps: Array<{ step: string; state: StepRecord['state']; result?: unknown }>;
}

/** Why a run stops early. */
class Stop extends PlanError {
  constructor(
    /** `interrupted`: the runner was asked to stop; the run stays `running`, for `mco plan resume`. */
    readonly state: 'failed' | 'cancelled' | 'interrupted',
    message: string,
    readonly nodes: string[] = [],
    readonly notStarted = false,
  ) {
    super('plan_step', message);
  }
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function thisLease(): RunnerLease {
  return { host: hostname(), pid: process.pid, heartbeatAt: new Date().toISOString() };
}

/** Everything a plan refers to that the client must know before it starts: agents, actions, inputs. */
export function preflight(session: ClientSession, spec: PlanSpec, scope: Record<string, unknown>): void {
  for (const [name, set] of Object.entries(spec.nodes ?? {})) {
    for (const agent of set.uses ?? []) {
      if (!session.ddls.find(agent))
        throw new PlanError(
          'plan_nodes',
          `node set ${name} uses agent '${agent}', which this client does not know`,
          "'mco plugin doc' lists the agents this client knows",
        );
    }
  }
  for (const list of [spec.steps, spec.on_success ?? [], spec.on_fail ?? [], spec.finally ?? []]) {
    for (const step of list) {
      const calls = [step.rpc, step.wait_for, step.batch?.gate].filter((c) => c !== undefined);
      for (const call of calls) {
        let rendered: typeof call;
        try {
          rendered = render(call, scope, step.name);
        } catch {
          // Refers to an earlier step's result: checked when it runs.
          ddlFor(session, call.agent, call.action, `step ${step.name}`);
          continue;
        }
        checkCall(session, rendered, `step ${step.name}`);
      }
      if (step.puppet) ddlFor(session, 'puppet', 'runonce', `step ${step.name}`);
    }
  }
}

/** Starts a new run of `plan` with the given inputs (strings from --set, or typed values). */
export async function startPlan(o: RunnerOptions, plan: LoadedPlan, given: Readonly<Record<string, unknown>>): Promise<PlanOutcome> {
  const inputs = resolveInputs(plan.spec, given);
  const id = newRunId();
  preflight(o.session, plan.spec, { inputs, run: { id, plan: plan.name }, steps: {}, nodes: {} });
  const now = new Date().toISOString();
  await o.store.create({
    id,
    plan: plan.name,
    file: plan.file ? resolvePath(plan.file) : undefined,
    planDigest: plan.digest,
    inputs,
    caller: o.caller,
    startedAt: now,
    updatedAt: now,
    state: 'running',
    runner: thisLease(),
  });
  return new Run(o, id, plan, inputs, new Map(), false, now).execute();
}

/** Pid `pid` on this host is gone. */
function deadHere(lease: RunnerLease): boolean {
  if (lease.host !== hostname()) return false;
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Resumes a run whose runner died: same plan file (refused when it changed), same inputs, same node sets; steps
 * recorded done are skipped, and so are nodes recorded ok in a partly done step.
 */
export async function resumePlan(o: RunnerOptions, id: string, load: (file: string) => LoadedPlan = loadPlanFile): Promise<PlanOutcome> {
  const run = await o.store.get(id);
  if (!run) throw new PlanError('plan_not_found', `no plan run ${id}`, "'mco plan list' shows the runs");
  if (run.state !== 'running')
    throw new PlanError('plan_finished', `plan run ${id} has ${run.state}; nothing to resume`, 'start a new run with mco plan run');
  if (!run.file) throw new PlanError('plan_unreadable', `plan run ${id} records no plan file`);
  const plan = load(run.file);
  if (plan.digest !== run.planDigest) {
    throw new PlanError(
      'plan_changed',
      `${run.file} has changed since run ${id} began; resuming would run a different plan`,
      'restore the file, or start a new run',
    );
  }
  await claimForResume(o, run);
  const steps = new Map((await o.store.steps(id)).map((s) => [s.step, s]));
  return new Run(o, id, plan, run.inputs, steps, true, run.startedAt).execute();
}

/** Takes the lease; waits for it to lapse when its holder is a runner on this host that has died. */
async function claimForResume(o: RunnerOptions, run: PlanRunRecord): Promise<void> {
  if (await o.store.claim(run.id, thisLease())) return;
  const held = run.runner;
  if (!held || !deadHere(held)) {
    const who = held ? `${held.host} pid ${held.pid} (heartbeat ${held.heartbeatAt})` : 'another runner';
    throw new PlanError(
      'plan_locked',
      `plan run ${run.id} is being run by ${who}`,
      'a lease lapses when its runner stops renewing it; try again later',
    );
  }
  const leaseMs = o.leaseMs ?? 30_000;
  const until = Date.parse(held.heartbeatAt) + leaseMs + 2000;
  o.onEvent?.({
    type: 'waiting',
    text: `runner pid ${held.pid} on this host is gone; waiting up to ${Math.ceil(Math.max(0, until - Date.now()) / 1000)} s for its lease to lapse`,
  });
  while (Date.now() < until) {
    await sleep(Math.min(1000, Math.max(50, leaseMs / 10)), o.signal);
    if (await o.store.claim(run.id, thisLease())) return;
  }
  throw new PlanError('plan_locked', `plan run ${run.id}: the lease of dead runner pid ${held.pid} did not lapse`);
}

interface ResolvedSet {
  nodes: string[];
  skipped: boolean;
  collective: string;
}

type Scope = {
  inputs: Record<string, unknown>;
  run: Record<string, unknown>;
  steps: Record<string, unknown>;
  nodes: Record<string, string[]>;
};

class Run {
  private readonly sets = new Map<string, ResolvedSet>();
  private readonly controller = new AbortController();
  private readonly summaries: PlanOutcome['steps'] = [];
  private leaseLost = false;
  private heartbeat?: NodeJS.Timeout;
  private lastCancelCheck = 0;

  constructor(
    private readonly o: RunnerOptions,
    private readonly id: string,
    private readonly plan: LoadedPlan,
    private readonly inputs: Record<string, unknown>,
    private readonly recorded: Map<string, StepRecord>,
    private readonly resumed: boolean,
    private readonly startedAt: string,
  ) {
    o.signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
  }

  private emit(e: PlanEvent): void {
    this.o.onEvent?.(e);
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  async execute(): Promise<PlanOutcome> {
    const { store } = this.o;
    this.emit({ type: 'start', id: this.id, plan: this.plan.name, caller: this.o.caller, resumed: this.resumed });
    this.startHeartbeat();
    let state: RunState = 'succeeded';
    let reason: string | undefined;
    let nodes: string[] = [];
    let exitCode: number = PLAN_EXIT.OK;
    try {
      await this.body(this.plan.spec, '', this.inputs, this.plan.file);
    } catch (err) {
      if (err instanceof Stop) {
        state = err.state === 'interrupted' ? 'running' : err.state;
        nodes = err.nodes;
        exitCode = err.notStarted ? PLAN_EXIT.NOT_STARTED : PLAN_EXIT.STOPPED;
      } else {
        state = 'failed';
        exitCode = PLAN_EXIT.STOPPED;
      }
      reason = (err as Error).message;
      this.emit({ type: 'stopped', state, reason, nodes });
    } finally {
      clearInterval(this.heartbeat);
    }
    const finishedAt = new Date().toISOString();
    // An interrupted run keeps its state and gives its lease up at once, so `mco plan resume` need not wait.
    const patch =
      state === 'running' ? { reason, runner: undefined } : { state, reason, finishedAt, currentStep: undefined, runner: undefined };
    await store.update(this.id, patch).catch(() => undefined);
    this.emit({ type: 'finish', id: this.id, state });
    this.o.audit?.({
      id: this.id,
      plan: this.plan.name,
      file: this.plan.file,
      digest: this.plan.digest,
      caller: this.o.caller,
      resumed: this.resumed,
      inputs: shownInputs(this.plan.spec, this.inputs),
      state,
      reason,
      nodes: nodes.length ? nodes : undefined,
      started_at: this.startedAt,
      finished_at: finishedAt,
      steps: this.summaries.map((s) => {
        const r = s.result as StepResult | undefined;
        return r && typeof r.ok === 'number'
          ? { step: s.step, state: s.state, ok: r.ok, failed: r.failed.length, silent: r.silent.length }
          : { step: s.step, state: s.state };
      }),
    });
    return { id: this.id, plan: this.plan.name, state, reason, nodes: nodes.length ? nodes : undefined, exitCode, steps: this.summaries };
  }

  private startHeartbeat(): void {
    const every = Math.max(100, (this.o.leaseMs ?? 30_000) / 3);
    this.heartbeat = setInterval(() => {
      this.o.store.claim(this.id, thisLease()).then(
        (ok) => {
          if (!ok) {
            this.leaseLost = true;
            this.controller.abort();
          }
        },
        () => undefined,
      );
    }, every);
    this.heartbeat.unref();
  }

  /** Between batches and steps: a cancel request or a lost lease stops the run here. */
  private async checkpoint(force = false): Promise<void> {
    if (this.leaseLost) throw new Stop('failed', 'another runner took over the lease of this run; stopping');
    if (this.o.signal?.aborted) throw interrupted();
    const now = Date.now();
    if (!force && now - this.lastCancelCheck < 250) return;
    this.lastCancelCheck = now;
    const run = await this.o.store.get(this.id);
    if (run?.cancelRequestedBy) throw new Stop('cancelled', `cancelled by ${run.cancelRequestedBy}`);
  }

  /** A plan's node sets, steps and handlers; nested plans come through here too, with a prefix. */
  private async body(spec: PlanSpec, prefix: string, inputs: Record<string, unknown>, file: string | undefined): Promise<void> {
    const scope: Scope = { inputs, run: { id: this.id, plan: this.plan.name, caller: this.o.caller }, steps: {}, nodes: {} };
    await this.resolveSets(spec, prefix, scope);
    let failure: unknown;
    try {
      await this.steps(spec, spec.steps, prefix, scope, file);
      if (spec.on_success) await this.steps(spec, spec.on_success, `${prefix}on_success.`, scope, file);
    } catch (err) {
      failure = err;
    }
    if (failure instanceof Stop && failure.state === 'interrupted') throw failure;
    if (failure !== undefined && !(failure instanceof Stop && failure.state === 'cancelled') && spec.on_fail) {
      scope.run.reason = (failure as Error).message;
      await this.steps(spec, spec.on_fail, `${prefix}on_fail.`, scope, file).catch(() => undefined);
    }
    if (spec.finally) {
      try {
        await this.steps(spec, spec.finally, `${prefix}finally.`, scope, file);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  }

  private async resolveSets(spec: PlanSpec, prefix: string, scope: Scope): Promise<void> {
    for (const [name, set] of Object.entries(spec.nodes ?? {})) {
      const key = `=nodes.${prefix}${name}`;
      const collective = set.collective ?? this.o.session.defaults.mainCollective;
      const known = this.recorded.get(key);
      let resolved: ResolvedSet;
      if (known?.state === 'done') {
        const r = known.result as { nodes: string[]; skipped: boolean };
        resolved = { nodes: r.nodes, skipped: r.skipped, collective };
        this.emit({ type: 'nodes', set: prefix + name, count: r.nodes.length, method: 'recorded', skipped: r.skipped, reused: true });
      } else {
        const found = await resolveNodeSet(this.o.session, name, render(set, scope, `node set ${name}`), this.signal, prefix === '');
        resolved = { nodes: found.nodes, skipped: found.skipped, collective };
        const at = new Date().toISOString();
        await this.o.store.recordStep(this.id, {
          step: key,
          state: 'done',
          startedAt: at,
          finishedAt: at,
          result: { nodes: found.nodes, skipped: found.skipped },
        });
        this.emit({
          type: 'nodes',
          set: prefix + name,
          count: found.nodes.length,
          method: found.method,
          skipped: found.skipped,
          reused: false,
        });
      }
      this.sets.set(prefix + name, resolved);
      scope.nodes[name] = resolved.nodes;
    }
  }

  private async steps(spec: PlanSpec, list: readonly StepSpec[], prefix: string, scope: Scope, file: string | undefined): Promise<void> {
    for (const step of list) {
      const path = prefix + step.name;
      const known = this.recorded.get(path);
      if (known?.state === 'done' || known?.state === 'skipped') {
        scope.steps[step.name] = known.result ?? {};
        this.summaries.push({ step: path, state: known.state, result: known.result });
        this.emit({ type: 'step_done', step: path, state: known.state, result: known.result as StepResult | undefined });
        continue;
      }
      await this.checkpoint(true);
      await this.o.store.update(this.id, { currentStep: path });
      const startedAt = known?.startedAt ?? new Date().toISOString();
      const record = (state: StepRecord['state'], result?: unknown) => {
        this.summaries.push({ step: path, state, result });
        return this.o.store.recordStep(this.id, {
          step: path,
          state,
          startedAt,
          finishedAt: state === 'running' ? undefined : new Date().toISOString(),
          result,
        });
      };
      await record('running');
      this.summaries.pop();
      try {
        const kind = stepKind(step);
        const result = NODE_KINDS.has(kind)
          ? await this.nodeStep(spec, step, kind, path, prefix, scope)
          : await this.plainStep(step, kind, path, scope, file);
        const state = result === 'skipped' ? 'skipped' : 'done';
        const saved = result === 'skipped' ? undefined : result;
        await record(state, saved);
        scope.steps[step.name] = saved ?? {};
        this.emit({ type: 'step_done', step: path, state, result: saved as StepResult | undefined });
      } catch (err) {
        const result = err instanceof StepFailure ? err.result : undefined;
        const cause = err instanceof StepFailure ? err.stop : err;
        if (cause instanceof Stop && cause.state === 'interrupted') {
          await record('running', result);
          throw cause;
        }
        await record('failed', result);
        this.emit({ type: 'step_done', step: path, state: 'failed', result });
        // Stop and StepFailure are PlanErrors too: they carry their own state, only a plain PlanError becomes a failure.
        if (err instanceof StepFailure) throw err.stop;
        if (err instanceof Stop) throw err;
        throw err instanceof PlanError ? new Stop('failed', err.message) : err;
      }
    }
  }

  private async plainStep(step: StepSpec, kind: StepKind, path: string, scope: Scope, file: string | undefined): Promise<unknown> {
    this.emit({ type: 'step', step: path, kind });
    switch (kind) {
      case 'sleep': {
        const seconds = Number(render(step.sleep, scope, path));
        if (!Number.isFinite(seconds) || seconds < 0) throw new PlanError('plan_step', `${path}: sleep needs a number of seconds`);
        await sleep(seconds * 1000, this.signal);
        return { slept: seconds };
      }
      case 'message': {
        const text = String(render(step.message, scope, path));
        this.emit({ type: 'message', step: path, text });
        return { message: text };
      }
      case 'webhook':
        return this.webhook(step, path, scope);
      case 'plan': {
        const base = file ? dirname(file) : process.cwd();
        const child = loadPlanFile(resolvePath(base, step.plan!.file));
        const given = render(step.plan!.inputs ?? {}, scope, path);
        const inputs = resolveInputs(child.spec, given);
        preflight(this.o.session, child.spec, { inputs, run: scope.run, steps: {}, nodes: {} });
        await this.body(child.spec, `${path}.`, inputs, child.file);
        return { plan: child.name, digest: child.digest };
      }
      default:
        throw new PlanError('plan_step', `${path}: ${kind} is not a plain step`);
    }
  }

  private async webhook(step: StepSpec, path: string, scope: Scope): Promise<unknown> {
    const hook = render(step.webhook!, scope, path);
    const body = { plan: this.plan.name, run_id: this.id, step: path, caller: this.o.caller, reason: scope.run.reason, ...hook.body };
    let status: number;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...hook.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.signal, AbortSignal.timeout((hook.timeout ?? 10) * 1000)]),
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      throw new PlanError('plan_step', `${path}: webhook ${hook.url} failed: ${(err as Error).message}`);
    }
    if (status < 200 || status > 299) throw new PlanError('plan_step', `${path}: webhook ${hook.url} answered HTTP ${status}`);
    return { status };
  }

  private async nodeStep(
    spec: PlanSpec,
    step: StepSpec,
    kind: StepKind,
    path: string,
    prefix: string,
    scope: Scope,
  ): Promise<StepResult | 'skipped'> {
    const set = this.sets.get(prefix + step.nodes!)!;
    if (set.skipped || set.nodes.length === 0) {
      this.emit({ type: 'step', step: path, kind, nodes: 0 });
      return 'skipped';
    }
    const rendered = render(step, scope, path);
    const done = new Set(
      (this.resumed ? await this.o.store.nodes(this.id, path) : []).filter((n) => n.outcome === 'ok').map((n) => n.identity),
    );
    const all = set.nodes;
    const budget = new FailureBudget(step.budget ?? spec.budget, all.length);
    const ctx: ActionContext = {
      session: this.o.session,
      collective: set.collective,
      ttl: this.o.session.defaults.ttl,
      signal: this.signal,
    };
    const act = (nodes: readonly string[]) => this.act(kind, rendered, path, ctx, nodes);
    const outcome: StepResult = { nodes: all.length, ok: done.size, failed: [], silent: [] };
    const window = step.batch?.mode === 'window';
    const sizes = batchSizes(
      all.length,
      step.batch?.canary !== undefined && window ? { canary: step.batch.canary, size: all.length } : step.batch,
    );
    const batches = splitBatches(all, window && step.batch?.canary === undefined ? [all.length] : sizes);
    this.emit({
      type: 'step',
      step: path,
      kind,
      nodes: all.length,
      batches: window ? undefined : sizes,
      window: window ? windowWidth(all.length, step.batch) : undefined,
      resumedWith: this.resumed ? done.size : undefined,
    });
    const account = (results: NodeResult[]) => {
      for (const r of results) {
        if (r.outcome === 'ok') outcome.ok++;
        else (r.outcome === 'silent' ? outcome.silent : outcome.failed).push(r.identity);
      }
    };
    for (let i = 0; i < batches.length; i++) {
      const pending = batches[i]!.filter((n) => !done.has(n));
      if (pending.length === 0) continue;
      const canary = i === 0 && step.batch?.canary !== undefined && done.size === 0;
      if (window && !canary) {
        await this.slidingWindow(step, path, pending, windowWidth(all.length, step.batch), act, budget, outcome, account);
        continue;
      }
      await this.checkpoint(true);
      const results = await this.withGovernor(step, `${path}#${i + 1}`, () => act(pending));
      if (this.o.signal?.aborted) {
        // Replies cut short by the interruption are not failures: only the nodes that finished are recorded.
        await this.recordNodes(
          path,
          i + 1,
          results.filter((r) => r.outcome === 'ok'),
        );
        throw interrupted();
      }
      await this.recordNodes(path, i + 1, results);
      account(results);
      const failed = results.filter((r) => r.outcome !== 'ok').map((r) => r.identity);
      this.emit({
        type: 'batch',
        step: path,
        batch: i + 1,
        of: batches.length,
        size: pending.length,
        ok: pending.length - failed.length,
        failed: results.filter((r) => r.outcome === 'failed').map((r) => r.identity),
        silent: results.filter((r) => r.outcome === 'silent').map((r) => r.identity),
        why: Object.fromEntries(results.filter((r) => r.outcome !== 'ok').map((r) => [r.identity, r.statusmsg ?? r.outcome])),
      });
      const exceeded = budget.afterBatch(`${path} batch ${i + 1}`, pending.length, failed, canary);
      if (exceeded) throw new StepFailure(outcome, stopFor(exceeded));
      if (i < batches.length - 1 && step.batch?.pause) {
        await sleep(step.batch.pause * 1000, this.signal);
      }
    }
    if (this.signal.aborted) await this.checkpoint(true);
    return outcome;
  }

  /** Keeps `width` nodes in flight; the batch budget is judged over the last `width` nodes to finish. */
  private async slidingWindow(
    step: StepSpec,
    path: string,
    nodes: readonly string[],
    width: number,
    act: (nodes: readonly string[]) => Promise<NodeResult[]>,
    budget: FailureBudget,
    outcome: StepResult,
    account: (r: NodeResult[]) => void,
  ): Promise<void> {
    let next = 0;
    let stop: Stop | undefined;
    let finished = 0;
    const recent: NodeResult[] = [];
    const worker = async () => {
      while (next < nodes.length && !stop) {
        await this.checkpoint();
        const node = nodes[next++]!;
        const [result] = (await this.withGovernor(step, `${path}@${node}`, () => act([node]))) as [NodeResult];
        finished++;
        await this.recordNodes(path, finished, [result]);
        account([result]);
        recent.push(result);
        if (recent.length > width) recent.shift();
        const failed = result.outcome === 'ok' ? undefined : result.identity;
        const exceeded = budget.afterNode(`${path} node ${finished}`, failed, {
          size: recent.length,
          failed: recent.filter((r) => r.outcome !== 'ok').map((r) => r.identity),
        });
        if (exceeded && !stop) stop = stopFor(exceeded);
      }
    };
    const runs = Array.from({ length: Math.min(width, nodes.length) }, () =>
      worker().catch((err: unknown) => {
        stop ??= err instanceof Stop ? err : new Stop('failed', (err as Error).message);
      }),
    );
    await Promise.all(runs);
    if (stop) throw new StepFailure(outcome, stop);
  }

  private async withGovernor<T>(step: StepSpec, holder: string, fn: () => Promise<T>): Promise<T> {
    if (!step.governor) return fn();
    const name = typeof step.governor === 'string' ? step.governor : step.governor.name;
    const wait = typeof step.governor === 'string' ? 300 : (step.governor.wait ?? 300);
    if (!this.o.governor) throw new PlanError('plan_step', `governor '${name}': this client has no governors (they need NATS JetStream)`);
    const slot = await this.o.governor(name).acquire({ holder: `${this.id}:${holder}`, maxWaitMs: wait * 1000, signal: this.signal });
    try {
      return await fn();
    } finally {
      await slot.release();
    }
  }

  private async recordNodes(path: string, batch: number, results: NodeResult[]): Promise<void> {
    const at = new Date().toISOString();
    const records: NodeRecord[] = results.map((r) => ({
      identity: r.identity,
      outcome: r.outcome,
      batch,
      statuscode: r.statuscode,
      statusmsg: r.statusmsg,
      at,
    }));
    await this.o.store.recordNodes(this.id, path, records);
  }

  private async act(kind: StepKind, step: StepSpec, path: string, ctx: ActionContext, nodes: readonly string[]): Promise<NodeResult[]> {
    let results: NodeResult[];
    switch (kind) {
      case 'rpc':
        results = await rpcBatch(ctx, step.rpc!, nodes, path);
        break;
      case 'wait_for':
        results = await waitForBatch(ctx, step.wait_for!, nodes, path);
        break;
      case 'puppet': {
        const p = step.puppet!;
        const noop = typeof p.noop === 'string' ? p.noop === 'true' : p.noop;
        const wait = p.wait === undefined ? undefined : Number(p.wait);
        results = await puppetBatch(
          ctx,
          { revision: p.revision, noop, force: p.force, tags: p.tags, environment: p.environment, wait },
          nodes,
          path,
        );
        break;
      }
      default:
        throw new PlanError('plan_step', `${path}: ${kind} acts on no nodes`);
    }
    const gate = step.batch?.gate;
    const passed = results.filter((r) => r.outcome === 'ok').map((r) => r.identity);
    if (!gate || passed.length === 0) return results;
    // The health gate: the nodes this batch touched must pass it before the next batch starts.
    const gated = new Map((await waitForBatch(ctx, gate, passed, `${path} gate`)).map((r) => [r.identity, r]));
    return results.map((r) => {
      const g = gated.get(r.identity);
      return g && g.outcome !== 'ok' ? { ...g, statusmsg: `health gate: ${g.statusmsg ?? 'failed'}` } : r;
    });
  }
}

class StepFailure extends PlanError {
  constructor(
    readonly result: StepResult,
    readonly stop: Stop,
  ) {
    super('plan_step', stop.message);
  }
}

function interrupted(): Stop {
  return new Stop('interrupted', 'the runner was interrupted; mco plan resume continues the run');
}

function stopFor(e: Exceeded): Stop {
  return new Stop('failed', `${e.message}: ${e.nodes.join(', ')}`, e.nodes);
}

/** Discovery for one node set, then its guards: limit, at_least, when_empty, test: ping. */
export async function resolveNodeSet(
  session: ClientSession,
  name: string,
  set: NodeSetSpec,
  signal: AbortSignal,
  root: boolean,
  opts: { ping?: boolean } = {},
): Promise<{ nodes: string[]; skipped: boolean; method: string }> {
  const notStarted = (msg: string) => new Stop('failed', `node set ${name}: ${msg}`, [], root);
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const f = set.filter ?? {};
  const filter = buildFilter({
    facts: list(f.fact),
    classes: list(f.class),
    identities: list(f.identity),
    agents: [...list(f.agent), ...(set.uses ?? [])],
    selects: list(f.select),
    withs: list(f.with),
  });
  const d = session.defaults;
  let method: string = set.discovery?.method ?? d.discoveryMethod;
  if (method === 'broadcast') method = 'mc';
  const target: TargetOptions = {
    filter,
    collective: set.collective ?? d.mainCollective,
    discoveryMethod: method,
    discoveryOptions: set.discovery?.options ?? {},
    discoveryTimeoutMs: set.discovery?.timeout !== undefined ? set.discovery.timeout * 1000 : d.discoveryTimeoutMs,
    quietWindowMs: d.quietWindowMs,
    limit: set.limit === undefined ? undefined : String(set.limit),
    limitMethod: d.limitMethod,
  };
  const found = await discover(session, target);
  const nodes = found.nodes;
  if (nodes.length === 0) {
    if (set.when_empty === 'skip') return { nodes, skipped: true, method: found.method };
    throw notStarted('no nodes matched');
  }
  if (set.at_least !== undefined && nodes.length < set.at_least)
    throw notStarted(`${nodes.length} node(s) matched, at least ${set.at_least} needed`);
  if (set.test === 'ping' && opts.ping !== false) {
    const silent = await pingNodes({ session, collective: target.collective, ttl: d.ttl, signal }, nodes);
    if (silent.length > 0) {
      throw new Stop(
        'failed',
        `node set ${name}: ${silent.length} of ${nodes.length} node(s) did not answer a ping: ${silent.join(', ')}`,
        silent,
        root,
      );
    }
  }
  return { nodes, skipped: false, method: found.method };
}

export { Stop as PlanStop };
