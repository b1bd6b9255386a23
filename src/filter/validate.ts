/**
 * Shape checks for a filter received from the wire, where it is untrusted input. The same
 * rules as schemas/filter.schema.json, so a node can evaluate a filter that skipped schema
 * validation without crashing. Unknown filter kinds are rejected rather than ignored: a node
 * must not act on a request whose constraints it does not understand.
 */
import { describeCharacter, FilterError } from './errors.js';
import { FACT_NAME } from './fact-term.js';
import { MAX_ENTRIES, MAX_FACT_NAME_LENGTH, MAX_TEXT_LENGTH } from './limits.js';
import { FACT_OPERATORS, type FactFilter, type Filter } from './model.js';

const KINDS = ['fact', 'cf_class', 'agent', 'identity', 'compound'] as const;
const FACT_KEYS = ['fact', 'operator', 'value'];

/** Return `value` typed as a Filter, or throw FilterError (code FILTER_INVALID_SHAPE or FILTER_TOO_LONG). */
export function assertWireFilter(value: unknown): Filter {
  if (!isRecord(value)) throw shape('a filter must be an object');
  for (const key of Object.keys(value)) {
    if (!(KINDS as readonly string[]).includes(key)) throw shape(`unknown filter kind '${key}'`);
  }
  for (const kind of KINDS) {
    const list = value[kind];
    if (!Array.isArray(list)) throw shape(`filter '${kind}' must be a list`);
    if (list.length > MAX_ENTRIES) throw shape(`filter '${kind}' has more than ${MAX_ENTRIES} entries`);
    for (const entry of list) {
      if (kind === 'fact') checkFactFilter(entry);
      else checkText(entry, kind);
    }
  }
  return value as unknown as Filter;
}

function checkFactFilter(entry: unknown): asserts entry is FactFilter {
  if (!isRecord(entry)) throw shape('a fact filter must be an object');
  for (const key of Object.keys(entry)) {
    if (!FACT_KEYS.includes(key)) throw shape(`unknown fact filter field '${key}'`);
  }
  const { fact, operator, value } = entry;
  if (typeof fact !== 'string' || fact.length === 0) throw shape('a fact filter needs a fact name');
  if (fact.length > MAX_FACT_NAME_LENGTH) {
    throw tooLong('fact name', MAX_FACT_NAME_LENGTH, fact);
  }
  if (!FACT_NAME.test(fact)) {
    const at = fact.search(/[^A-Za-z0-9_.:-]/);
    throw new FilterError('FILTER_BAD_FACT_NAME', `unexpected ${describeCharacter(fact[at])} in fact name`, fact, at);
  }
  if (typeof operator !== 'string' || !(FACT_OPERATORS as readonly string[]).includes(operator)) {
    throw shape(`fact filter operator must be one of ${FACT_OPERATORS.join(' ')}`);
  }
  if (typeof value !== 'string') throw shape('a fact filter value must be a string');
  if (value.length > MAX_TEXT_LENGTH) {
    throw tooLong('fact value', MAX_TEXT_LENGTH, value);
  }
}

function checkText(entry: unknown, kind: string): asserts entry is string {
  if (typeof entry !== 'string') throw shape(`filter '${kind}' entries must be strings`);
  if (entry.length === 0) throw new FilterError('FILTER_EMPTY', `empty ${kind} filter`, entry, 0);
  if (entry.length > MAX_TEXT_LENGTH) {
    throw tooLong(`${kind} filter`, MAX_TEXT_LENGTH, entry);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shape(message: string): FilterError {
  return new FilterError('FILTER_INVALID_SHAPE', message, '', 0);
}

function tooLong(what: string, limit: number, text: string): FilterError {
  return new FilterError('FILTER_TOO_LONG', `${what} longer than ${limit} characters`, text, limit);
}
