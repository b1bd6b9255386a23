// `mco plan run FILE --plan`: what a run would do — inputs, the node sets discovery finds now, each step's batches —
// sending no action to any node and recording nothing. Node sets are discovered (discovery only, no `test: ping`).
import type { ClientSession } from '../client/session.js';
import { batchSizes, windowWidth } from './batching.js';
import { resolveInputs, shownInputs } from './inputs.js';
import type { LoadedPlan } from './load.js';
import { NODE_KINDS, stepKind, type StepSpec } from './model.js';
import { PlanError } from './errors.js';
import { PlanStop, preflight, resolveNodeSet } from './runner.js';
import { render } from './template.js';

export interface DryRun {
  plan: string;
  file?: string;
  digest: string;
  inputs: Record<string, unknown>;
  nodes: Array<{ name: string; count: number; method: string; skipped: boolean; nodes: string[]; test?: string }>;
  steps: Array<{
    step: string;
    kind: string;
    nodes?: string;
    count?: number;
    batches?: number[];
    window?: number;
    canary?: boolean;
    detail: unknown;
  }>;
}

export async function describePlan(session: ClientSession, plan: LoadedPlan, given: Readonly<Record<string, unknown>>): Promise<DryRun> {
  const inputs = resolveInputs(plan.spec, given);
  const scope = { inputs, run: { id: '(dry run)', plan: plan.name }, steps: {}, nodes: {} as Record<string, string[]> };
  preflight(session, plan.spec, scope);
  const nodes: DryRun['nodes'] = [];
  const counts = new Map<string, number>();
  const signal = new AbortController().signal;
  for (const [name, set] of Object.entries(plan.spec.nodes ?? {})) {
    const found = await resolveNodeSet(session, name, render(set, scope, `node set ${name}`), signal, true, { ping: false }).catch(
      (err: unknown) => {
        throw err instanceof PlanStop ? new PlanError('plan_nodes', err.message) : err;
      },
    );
    nodes.push({ name, count: found.nodes.length, method: found.method, skipped: found.skipped, nodes: found.nodes, test: set.test });
    counts.set(name, found.skipped ? 0 : found.nodes.length);
    scope.nodes[name] = found.nodes;
  }
  const steps: DryRun['steps'] = [];
  const add = (list: StepSpec[] | undefined, prefix: string) => {
    for (const step of list ?? []) {
      const kind = stepKind(step);
      const detail = renderLoosely(step[kind], scope);
      if (!NODE_KINDS.has(kind)) {
        steps.push({ step: prefix + step.name, kind, detail });
        continue;
      }
      const count = counts.get(step.nodes!) ?? 0;
      const window = step.batch?.mode === 'window';
      steps.push({
        step: prefix + step.name,
        kind,
        nodes: step.nodes,
        count,
        batches: window ? undefined : batchSizes(count, step.batch),
        window: window ? windowWidth(count, step.batch) : undefined,
        canary: step.batch?.canary !== undefined || undefined,
        detail,
      });
    }
  };
  add(plan.spec.steps, '');
  add(plan.spec.on_success, 'on_success.');
  add(plan.spec.on_fail, 'on_fail.');
  add(plan.spec.finally, 'finally.');
  return { plan: plan.name, file: plan.file, digest: plan.digest, inputs: shownInputs(plan.spec, inputs), nodes, steps };
}

/** Templates filled in where they can be; those naming later results are left as written. */
function renderLoosely(value: unknown, scope: Record<string, unknown>): unknown {
  try {
    return render(value, scope, 'dry run');
  } catch {
    if (Array.isArray(value)) return value.map((v: unknown) => renderLoosely(v, scope));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLoosely(v, scope)]));
    return value;
  }
}
