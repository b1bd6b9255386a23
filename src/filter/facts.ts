/**
 * Fact lookup and comparison, the rules every node applies to `-F` and to fact terms in `-S`.
 *
 * - A missing fact (undefined or null) fails every operator, `!=` included.
 * - An array fact matches when any element matches, for every operator.
 * - An object fact matches when any of its keys matches, for every operator (as MCollective):
 *   `-F mounts=/var` selects nodes whose `mounts` fact has a `/var` key. Values are reached with dotted paths.
 * - Scalars are compared as text: numbers as JavaScript prints them, booleans as "true"/"false".
 * - `<` `>` `<=` `>=` compare numerically when both sides are decimal numbers, component-wise
 *   when both are dotted versions, and as strings otherwise.
 */
import type { FactOperator } from './model.js';
import { factValuePattern } from './pattern.js';

/** Optional sign, digits, optional fraction: "010" is ten; "1e3" and "0x10" are not numbers. */
const DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;
/** Dot-separated digit groups such as "1.10.2". */
const VERSION = /^\d+(?:\.\d+)*$/;

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * The fact at `path`. A top-level key equal to the whole path wins (facts named with dots
 * exist); otherwise the path is walked through nested objects, and through arrays by index.
 * Only own properties count, so `constructor` or `__proto__` find nothing. Undefined when missing.
 */
export function lookupFact(facts: Record<string, unknown>, path: string): unknown {
  if (hasOwn(facts, path)) return facts[path];
  if (!path.includes('.')) return undefined;

  let current: unknown = facts;
  for (const key of path.split('.')) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key)) return undefined;
      current = current[Number(key)];
    } else if (current !== null && typeof current === 'object' && hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return current;
}

/** A reusable test of fact values against one operator and expected value; the regex is compiled once. */
export function factValueTest(op: FactOperator, expected: string, source: string = expected, position = 0): (actual: unknown) => boolean {
  const scalar = scalarTest(op, expected, source, position);

  const test = (actual: unknown): boolean => {
    if (actual === undefined || actual === null) return false;
    if (Array.isArray(actual)) return actual.some(test);
    if (typeof actual === 'object') return Object.keys(actual).some(scalar);
    const text = scalarText(actual);
    return text !== undefined && scalar(text);
  };
  return test;
}

/** Compare one fact value with an expected value. Throws FilterError for an invalid `=~` pattern. */
export function compareFact(actual: unknown, op: FactOperator, expected: string): boolean {
  return factValueTest(op, expected)(actual);
}

function scalarTest(op: FactOperator, expected: string, source: string, position: number): (text: string) => boolean {
  switch (op) {
    case '==':
      return (text) => text === expected;
    case '!=':
      return (text) => text !== expected;
    case '=~': {
      const re = factValuePattern(expected, source, position);
      return (text) => re.test(text);
    }
    case '<':
      return (text) => order(text, expected) < 0;
    case '>':
      return (text) => order(text, expected) > 0;
    case '<=':
      return (text) => order(text, expected) <= 0;
    case '>=':
      return (text) => order(text, expected) >= 0;
  }
}

function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function order(a: string, b: string): number {
  if (DECIMAL.test(a) && DECIMAL.test(b)) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (VERSION.test(a) && VERSION.test(b)) return compareVersions(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Component-wise, missing components counting as 0; components of any length compare exactly. */
function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const c = compareDigits(left[i] ?? '0', right[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
