import type { KeySpec } from './keys.js';

/**
 * Turns the text of one setting into its typed value. Returns the value, or a short phrase
 * naming what was expected, which the caller wraps with file:line and key.
 */
export type ParseResult = { ok: true; value: unknown } | { ok: false; expected: string };

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n']);

/**
 * MCollective's boolean words (1/0, true/false, yes/no, y/n, any case), or undefined for any other text. The one
 * reading of a boolean for config values, plugin settings and command-line inputs; callers trim where they need to.
 */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function parseValue(spec: KeySpec, text: string): ParseResult {
  switch (spec.type) {
    case 'string':
      if (spec.pattern !== undefined && !spec.pattern.test(text)) {
        return { ok: false, expected: describeExpected(spec) };
      }
      return { ok: true, value: text };
    case 'path':
      return { ok: true, value: text };
    case 'integer':
      return INTEGER.test(text) ? withinRange(Number(text), spec, 'integer') : { ok: false, expected: describeExpected(spec) };
    case 'number':
      return NUMBER.test(text) ? withinRange(Number(text), spec, 'number') : { ok: false, expected: describeExpected(spec) };
    case 'boolean': {
      const value = parseBoolean(text);
      return value === undefined ? { ok: false, expected: describeExpected(spec) } : { ok: true, value };
    }
    case 'list': {
      const items = splitList(text, /,/);
      if (spec.nonEmpty && items.length === 0) return { ok: false, expected: describeExpected(spec) };
      const { pattern } = spec;
      const isValidItem = (item: string): boolean =>
        (spec.item !== 'url' || isBrokerUrl(item)) && (pattern === undefined || pattern.test(item));
      const bad = items.find((item) => !isValidItem(item));
      if (bad !== undefined) return { ok: false, expected: `${describeExpected(spec)} ("${bad}" is not one)` };
      return { ok: true, value: items };
    }
    case 'pathlist':
      // MCollective separates paths with ':'; ',' is accepted too for symmetry with other lists.
      return { ok: true, value: splitList(text, /[,:]/) };
    case 'enum':
      return spec.values.includes(text) ? { ok: true, value: text } : { ok: false, expected: describeExpected(spec) };
  }
}

/** How a type reads in error messages and in the reference table. */
export function describeExpected(spec: KeySpec): string {
  switch (spec.type) {
    case 'string':
      return spec.patternDoc ?? 'string';
    case 'path':
      return 'path';
    case 'integer':
    case 'number':
      return `${spec.type}${describeRange(spec.min, spec.max)}`;
    case 'boolean':
      return 'boolean (1/0, true/false, yes/no, y/n)';
    case 'list': {
      const items = spec.item === 'url' ? 'URLs (scheme://host:port)' : (spec.patternDoc ?? 'items');
      return `${spec.nonEmpty ? 'non-empty ' : ''}comma-separated list of ${items}`;
    }
    case 'pathlist':
      return 'path list (separated by : or ,)';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
  }
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` ${min}..${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function withinRange(value: number, spec: { min?: number; max?: number }, kind: string): ParseResult {
  const tooLow = spec.min !== undefined && value < spec.min;
  const tooHigh = spec.max !== undefined && value > spec.max;
  if (!Number.isFinite(value) || tooLow || tooHigh) {
    return { ok: false, expected: `${kind}${describeRange(spec.min, spec.max)}` };
  }
  return { ok: true, value };
}

function splitList(text: string, separator: RegExp): string[] {
  return text
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function isBrokerUrl(text: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname.length > 0;
  } catch {
    return false;
  }
}

/** Renders a typed value back to config-file text (lists with their own separator). */
export function formatValue(spec: KeySpec, value: unknown): string {
  if (Array.isArray(value)) return value.join(spec.type === 'pathlist' ? ':' : ',');
  return String(value);
}
