// The shape of a plan file, as schemas/plan.schema.json describes it.
export type Count = number | string;
export type Scalar = string | number | boolean;

export interface InputSpec {
  type: 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  default?: Scalar;
  required?: boolean;
  enum?: Scalar[];
  pattern?: string;
  secret?: boolean;
}

export interface FilterSpec {
  fact?: string | string[];
  class?: string | string[];
  identity?: string | string[];
  agent?: string | string[];
  select?: string | string[];
  with?: string | string[];
}

export interface NodeSetSpec {
  description?: string;
  filter?: FilterSpec;
  collective?: string;
  discovery?: { method?: 'mc' | 'broadcast' | 'registry' | 'flatfile'; timeout?: number; options?: Record<string, string> };
  at_least?: number;
  when_empty?: 'fail' | 'skip';
  limit?: Count;
  test?: 'ping';
  uses?: string[];
}

export interface BudgetSpec {
  batch?: Count;
  total?: Count;
}

export interface CallSpec {
  agent: string;
  action: string;
  inputs?: Record<string, unknown>;
  timeout?: number;
}

export interface CheckSpec extends CallSpec {
  assert: string;
  tries?: number;
  sleep?: number;
}

export interface BatchSpec {
  size?: Count | Count[];
  canary?: Count;
  mode?: 'lockstep' | 'window';
  pause?: number;
  gate?: CheckSpec;
}

export interface StepSpec {
  name: string;
  description?: string;
  nodes?: string;
  batch?: BatchSpec;
  budget?: BudgetSpec;
  governor?: string | { name: string; wait?: number };
  rpc?: CallSpec & { assert?: string };
  puppet?: { revision?: string; noop?: boolean | string; force?: boolean; tags?: string; environment?: string; wait?: number | string };
  wait_for?: CheckSpec;
  sleep?: number | string;
  message?: string;
  webhook?: { url: string; headers?: Record<string, string>; body?: Record<string, unknown>; timeout?: number };
  plan?: { file: string; inputs?: Record<string, unknown> };
}

export const STEP_KINDS = ['rpc', 'puppet', 'wait_for', 'sleep', 'message', 'webhook', 'plan'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
/** Kinds that act on a node set, in batches. */
export const NODE_KINDS: ReadonlySet<StepKind> = new Set(['rpc', 'puppet', 'wait_for']);

export interface PlanSpec {
  name?: string;
  description?: string;
  inputs?: Record<string, InputSpec>;
  nodes?: Record<string, NodeSetSpec>;
  budget?: BudgetSpec;
  steps: StepSpec[];
  on_success?: StepSpec[];
  on_fail?: StepSpec[];
  finally?: StepSpec[];
}

export function stepKind(step: StepSpec): StepKind {
  return STEP_KINDS.find((k) => step[k] !== undefined)!;
}
