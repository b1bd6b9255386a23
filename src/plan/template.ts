// `{{ inputs.revision }}`, `{{ run.id }}`, `{{ steps.deploy.ok }}` in step values. A value that is one whole
// template keeps its type (a number stays a number); templates inside text become text.
import { PlanError } from './errors.js';

export type Scope = Readonly<Record<string, unknown>>;

const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}$/;
const INNER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

function lookup(scope: Scope, path: string, where: string): unknown {
  let v: unknown = scope;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) {
      throw new PlanError('plan_step', `${where}: {{ ${path} }} names nothing (known: inputs.*, run.id, run.plan, steps.NAME.*)`);
    }
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function renderString(text: string, scope: Scope, where: string): unknown {
  const whole = WHOLE.exec(text);
  if (whole) return lookup(scope, whole[1]!, where);
  if (!text.includes('{{')) return text;
  return text.replace(INNER, (_, path: string) => {
    const v = lookup(scope, path, where);
    return typeof v === 'string' ? v : Array.isArray(v) ? v.map(String).join(', ') : JSON.stringify(v);
  });
}

/** A copy of `value` with every template filled in from `scope`. */
export function render<T>(value: T, scope: Scope, where: string): T {
  if (typeof value === 'string') return renderString(value, scope, where) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => render(v, scope, where)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v as unknown, scope, where)])) as T;
  }
  return value;
}
