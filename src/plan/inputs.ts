// A plan's typed inputs: defaults, `--set key=value` from the command line, types, enums and RE2 patterns.
import { compilePattern } from '../filter/pattern.js';
import { PlanError } from './errors.js';
import type { InputSpec, PlanSpec, Scalar } from './model.js';

/** Compiles an input's pattern through the linear-time RE2 wrapper; throws on a bad one. */
export function checkInputPattern(pattern: string): (text: string) => boolean {
  const p = compilePattern(pattern, '');
  return (text) => p.test(text);
}

/** Parses `--set key=value` options into raw strings, refusing repeats and malformed ones. */
export function parseSets(sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of sets) {
    const i = kv.indexOf('=');
    if (i < 1) throw new PlanError('plan_input', `--set expects key=value, got '${kv}'`);
    const key = kv.slice(0, i).trim();
    if (key in out) throw new PlanError('plan_input', `--set ${key} given twice`);
    out[key] = kv.slice(i + 1);
  }
  return out;
}

function coerce(name: string, spec: InputSpec, value: unknown): Scalar {
  const bad = (why: string) => new PlanError('plan_input', `input '${name}': ${why}`);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw bad(`expected a string, got ${JSON.stringify(value)}`);
      return value;
    case 'integer':
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n))
        throw bad(`expected ${spec.type === 'integer' ? 'a whole number' : 'a number'}, got ${JSON.stringify(value)}`);
      if (spec.type === 'integer' && !Number.isInteger(n)) throw bad(`expected a whole number, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'yes' || value === '1') return true;
      if (value === 'false' || value === 'no' || value === '0') return false;
      throw bad(`expected true or false, got ${JSON.stringify(value)}`);
  }
}

/**
 * The inputs a run uses: every declared input from `given` (strings from --set, or typed values from a parent
 * plan), else its default. Unknown names, missing required inputs and values of the wrong type are refused.
 */
export function resolveInputs(plan: PlanSpec, given: Readonly<Record<string, unknown>>): Record<string, Scalar> {
  const specs = plan.inputs ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new PlanError('plan_input', `the plan has no input '${key}'${known.length ? ` (inputs: ${known.join(', ')})` : ''}`);
    }
  }
  const out: Record<string, Scalar> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given[name] ?? spec.default;
    if (raw === undefined) {
      if (spec.required !== false) throw new PlanError('plan_input', `input '${name}' is required`, `give it with --set ${name}=VALUE`);
      continue;
    }
    const value = coerce(name, spec, raw);
    if (spec.enum && !spec.enum.includes(value)) {
      throw new PlanError(
        'plan_input',
        `input '${name}': ${JSON.stringify(value)} is not one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    }
    if (spec.pattern !== undefined && !checkInputPattern(spec.pattern)(String(value))) {
      throw new PlanError('plan_input', `input '${name}': ${JSON.stringify(value)} does not match /${spec.pattern}/`);
    }
    out[name] = value;
  }
  return out;
}

/** Inputs as they may be shown: secret ones as "[redacted]". */
export function shownInputs(plan: PlanSpec, inputs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, plan.inputs?.[k]?.secret ? '[redacted]' : v]));
}
