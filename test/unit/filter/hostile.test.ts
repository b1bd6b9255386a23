import { describe, expect, it } from 'vitest';
import {
  buildFilter,
  compileFilter,
  emptyFilter,
  FilterError,
  MAX_NESTING_DEPTH,
  MAX_TEXT_LENGTH,
  parseCompound,
  parseFactFilter,
  type Filter,
} from '../../../src/filter/index.js';

/**
 * Runs fn and requires a FilterError with `code`. The time bound only guards against a hang (catastrophic
 * backtracking takes minutes), so it is generous enough for a loaded machine.
 */
function failsQuickly(fn: () => unknown, code: string, ms = 5000): FilterError {
  const started = performance.now();
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(performance.now() - started).toBeLessThan(ms);
  expect(caught).toBeInstanceOf(FilterError);
  expect((caught as FilterError).code).toBe(code);
  return caught as FilterError;
}

const wire = (part: Partial<Filter>): Filter => ({ ...emptyFilter(), ...part });
const tenKB = 'a'.repeat(10 * 1024);

describe('hostile filters', () => {
  it('bounds nesting depth of parentheses and not', () => {
    const deepParens = '('.repeat(MAX_NESTING_DEPTH + 1) + 'a' + ')'.repeat(MAX_NESTING_DEPTH + 1);
    expect(failsQuickly(() => parseCompound(deepParens), 'FILTER_TOO_DEEP').position).toBe(MAX_NESTING_DEPTH);
    const deepNots = 'not '.repeat(MAX_NESTING_DEPTH + 1) + 'a';
    expect(failsQuickly(() => parseCompound(deepNots), 'FILTER_TOO_DEEP').position).toBe(MAX_NESTING_DEPTH * 4);
    failsQuickly(() => parseCompound('!'.repeat(2000) + 'a'), 'FILTER_TOO_DEEP');
    failsQuickly(() => compileFilter(wire({ compound: ['('.repeat(4000)] })), 'FILTER_TOO_DEEP');
  });

  it('accepts nesting right at the limit', () => {
    const atLimit = '('.repeat(MAX_NESTING_DEPTH) + 'a' + ')'.repeat(MAX_NESTING_DEPTH);
    expect(parseCompound(atLimit)).toEqual({ type: 'class', value: 'a', position: MAX_NESTING_DEPTH });
  });

  it('rejects 10 KB strings everywhere', () => {
    failsQuickly(() => parseCompound(tenKB), 'FILTER_TOO_LONG');
    failsQuickly(() => parseFactFilter(`a=${tenKB}`), 'FILTER_TOO_LONG');
    failsQuickly(() => buildFilter({ classes: [tenKB] }), 'FILTER_TOO_LONG');
    failsQuickly(() => buildFilter({ withs: [tenKB] }), 'FILTER_TOO_LONG');
    failsQuickly(() => compileFilter(wire({ identity: [tenKB] })), 'FILTER_TOO_LONG');
    failsQuickly(() => compileFilter(wire({ fact: [{ fact: 'a', operator: '==', value: tenKB }] })), 'FILTER_TOO_LONG');
    failsQuickly(() => compileFilter(wire({ fact: [{ fact: tenKB, operator: '==', value: 'x' }] })), 'FILTER_TOO_LONG');
  });

  it('rejects long, oversized and unsupported regexes from the wire', () => {
    failsQuickly(() => compileFilter(wire({ cf_class: [`/${'a'.repeat(2000)}/`] })), 'FILTER_REGEX_TOO_LONG');
    failsQuickly(() => compileFilter(wire({ cf_class: ['/[a-z]{0,999}/'] })), 'FILTER_REGEX_TOO_COMPLEX');
    failsQuickly(() => compileFilter(wire({ fact: [{ fact: 'a', operator: '=~', value: '(x)\\1' }] })), 'FILTER_UNSUPPORTED_REGEX');
    failsQuickly(() => compileFilter(wire({ compound: ['/^web(?!1)/'] })), 'FILTER_UNSUPPORTED_REGEX');
    failsQuickly(() => compileFilter(wire({ agent: ['/(?<x/'] })), 'FILTER_BAD_REGEX');
  });

  // Each of these backtracks for seconds to hours in a backtracking engine (the old code took 18 s for the
  // eleven `.*` against 24 characters), beyond the test timeout; RE2 answers at once.
  it('evaluates patterns that explode a backtracking engine in linear time', () => {
    const node = (identity: string, facts: Record<string, unknown> = {}) => ({
      identity,
      facts,
      classes: [] as string[],
      agents: [] as string[],
    });
    const cases: Array<[Partial<Filter>, ReturnType<typeof node>, boolean]> = [
      [{ identity: ['/^(.|.|.)*X$/'] }, node('a'.repeat(16)), false],
      [{ identity: ['/^(.|.|.)*X$/'] }, node(`${'a'.repeat(16)}X`), true],
      [{ identity: [`/^${'.*'.repeat(11)}X$/`] }, node('a'.repeat(24)), false],
      [{ fact: [{ fact: 'a', operator: '=~', value: '^(x+x+)+y$' }] }, node('n', { a: 'x'.repeat(5000) }), false],
      [{ compound: ['/^(\\w+\\s?)*$/'] }, { ...node('n'), classes: [`${'word '.repeat(2000)}!`] }, false],
      [{ identity: ['/^(a|a)*$/'] }, node(`${'a'.repeat(100_000)}`), true],
    ];
    for (const [filter, view, expected] of cases) {
      expect(compileFilter(wire(filter))(view), JSON.stringify(filter)).toBe(expected);
    }
  });

  it('parses a long but legal expression quickly', () => {
    const terms = Array.from({ length: 500 }, (_, i) => `c${i}`);
    const text = terms.join(' or ');
    expect(text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    const expr = parseCompound(text);
    expect(expr).toMatchObject({ type: 'or' });
    expect((expr as { operands: unknown[] }).operands).toHaveLength(500);
  });

  it('turns garbage of every kind into FilterError, never another exception', () => {
    const junk: unknown[] = [
      undefined,
      'filter',
      42,
      { fact: null, cf_class: [], agent: [], identity: [], compound: [] },
      { ...emptyFilter(), fact: [null] },
      { ...emptyFilter(), fact: [{ fact: 'a', operator: '==' }] },
      { ...emptyFilter(), compound: ['))))'] },
      { ...emptyFilter(), compound: ["'''"] },
      { ...emptyFilter(), compound: ['a=\u0000'] },
      { ...emptyFilter(), compound: ['\u0000'] },
      { ...emptyFilter(), compound: ['a=b\nc'] },
    ];
    for (const value of junk) {
      expect(() => compileFilter(value as Filter), JSON.stringify(value)).toThrow(FilterError);
    }
  });
});
