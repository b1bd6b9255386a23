import { requireAction } from './errors.js';
import { printf } from './printf.js';
import type { AgentDDL, AggregateDDL, OutputDDL } from './types.js';

export interface AggregateResult {
  function: string;
  /** The output the function reads. */
  field: string;
  displayAs: string;
  kind: 'collection' | 'numeric';
  /** numeric: the sum or average; collection: [value, count] sorted by count desc, then value. */
  value: number | Array<[string, number]>;
  format?: string;
  /** Replies that carried a usable value; 0 means nothing could be computed. */
  count: number;
}

/** Folds replies one at a time, so 50 000 replies need no more memory than their distinct values. */
export interface Aggregator {
  add(data: Record<string, unknown>): void;
  results(): AggregateResult[];
}

interface Accumulator {
  add(value: unknown): void;
  result(): AggregateResult;
}

type Base = Pick<AggregateResult, 'function' | 'field' | 'displayAs' | 'format'>;

function summaryKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function sortedCounts(counts: Map<string, number>): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Count of each value; an array value counts each of its elements. */
function summary(base: Base): Accumulator {
  const counts = new Map<string, number>();
  let seen = 0;
  const bump = (v: unknown) => {
    if (v === undefined || v === null) return;
    const key = summaryKey(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  return {
    add(value) {
      if (value === undefined || value === null) return;
      seen++;
      if (Array.isArray(value)) value.forEach(bump);
      else bump(value);
    },
    result: () => ({ ...base, kind: 'collection', value: sortedCounts(counts), count: seen }),
  };
}

/** Counts of true and false under the labels in the options (`{"true": …, "false": …}`). */
function booleanSummary(base: Base, options: Readonly<Record<string, string>> | undefined): Accumulator {
  const labels = { true: options?.['true'] ?? 'True', false: options?.['false'] ?? 'False' };
  let trues = 0;
  let falses = 0;
  return {
    add(value) {
      // Older fact sources report booleans as the strings "true" / "false".
      const v = typeof value === 'string' ? value.toLowerCase() : value;
      if (v === true || v === 'true') trues++;
      else if (v === false || v === 'false') falses++;
    },
    result() {
      const counts = new Map<string, number>();
      if (trues > 0) counts.set(labels.true, trues);
      if (falses > 0) counts.set(labels.false, falses);
      return { ...base, kind: 'collection', value: sortedCounts(counts), count: trues + falses };
    },
  };
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Sum or average of numeric values (numbers or numeric strings); anything else is skipped. */
function numeric(base: Base, average: boolean): Accumulator {
  let total = 0;
  let seen = 0;
  return {
    add(value) {
      const n = asNumber(value);
      if (n === undefined) return;
      total += n;
      seen++;
    },
    result: () => ({
      ...base,
      kind: 'numeric',
      value: average ? (seen === 0 ? 0 : total / seen) : total,
      count: seen,
    }),
  };
}

function accumulatorFor(spec: AggregateDDL, outputs: Readonly<Record<string, OutputDDL>>): Accumulator {
  const field = spec.args[0];
  const base: Base = { function: spec.function, field, displayAs: outputs[field]?.display_as ?? field };
  if (spec.format !== undefined) base.format = spec.format;
  switch (spec.function) {
    case 'summary':
      return summary(base);
    case 'boolean_summary':
      return booleanSummary(base, spec.args[1]);
    case 'sum':
      return numeric(base, false);
    case 'average':
      return numeric(base, true);
  }
}

/** An incremental aggregator for the action's DDL summaries; throws UNKNOWN_ACTION. */
export function createAggregator(ddl: AgentDDL, action: string): Aggregator {
  const spec = requireAction(ddl, action);
  const parts = spec.aggregate.map((agg) => ({ field: agg.args[0], acc: accumulatorFor(agg, spec.output) }));
  return {
    add(data) {
      for (const { field, acc } of parts) acc.add(data[field]);
    },
    results: () => parts.map(({ acc }) => acc.result()),
  };
}

/** Aggregates the data of successful replies, consuming the iterable once. */
export function aggregate(ddl: AgentDDL, action: string, replies: Iterable<Record<string, unknown>>): AggregateResult[] {
  const aggregator = createAggregator(ddl, action);
  for (const data of replies) aggregator.add(data);
  return aggregator.results();
}

const CONVERSION = /%[-+0]*\d*(?:\.\d+)?[sdif]/g;

function conversions(format: string): number {
  return format.match(CONVERSION)?.length ?? 0;
}

function defaultNumber(fn: string, value: number): string {
  if (fn === 'average' || !Number.isInteger(value)) return value.toFixed(2);
  return String(value);
}

/**
 * MCollective's look: `Summary of <display_as>:`, a blank line, then the body indented by three
 * spaces. Collections print `<value right-aligned> = <count>`; numbers print `Average: 12.34`
 * or `Sum: 10`. A `format` that is a single conversion (`%.1f`) formats the number only; a
 * numeric format with other text (`Mean: %.1f`) or a collection format with two conversions
 * (`%s: %d`) is the whole line. No trailing blank line: callers separate blocks.
 */
export function renderAggregate(result: AggregateResult): string[] {
  const lines = [`Summary of ${result.displayAs}:`, ''];
  const empty = result.kind === 'collection' ? (result.value as unknown[]).length === 0 : result.count === 0;
  if (empty) return [...lines, '   No aggregate summary could be computed'];
  const format = result.format;

  if (result.kind === 'numeric') {
    const value = result.value as number;
    if (format !== undefined && format.replace(CONVERSION, '').trim() !== '') {
      return [...lines, `   ${printf(format, value)}`];
    }
    const text = format !== undefined ? printf(format, value) : defaultNumber(result.function, value);
    return [...lines, `   ${result.function === 'average' ? 'Average' : 'Sum'}: ${text}`];
  }

  const entries = result.value as Array<[string, number]>;
  if (format !== undefined && conversions(format) >= 2) {
    return [...lines, ...entries.map(([key, count]) => `   ${printf(format, key, count)}`)];
  }
  const width = Math.max(...entries.map(([key]) => key.length));
  return [
    ...lines,
    ...entries.map(([key, count]) => `   ${key.padStart(width)} = ${format !== undefined ? printf(format, count) : count}`),
  ];
}
