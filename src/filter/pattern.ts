/**
 * Regular expressions in filters.
 *
 * A class, agent or identity is matched exactly unless written as a literal `/body/` or
 * `/body/i`. Matching is case-sensitive unless the `i` flag is given, as with the Ruby
 * regexes of MCollective (Choria differs: it ignores case). Any other trailing text after
 * the closing slash makes the string an ordinary exact name.
 *
 * Patterns arrive from the wire, so each is bounded in length, checked for the nested
 * quantifiers that make backtracking explode (`(a+)+`), compiled once and cached.
 */
import { FilterError } from './errors.js';
import { MAX_PATTERN_LENGTH, PATTERN_CACHE_LIMIT } from './limits.js';

export type PatternFlags = '' | 'i';

export interface PatternLiteral {
  body: string;
  flags: PatternFlags;
}

const LITERAL = /^\/([\s\S]+)\/(i?)$/;

/** The body and flags of a `/body/` or `/body/i` string, or null for an exact name. */
export function parsePatternLiteral(text: string): PatternLiteral | null {
  const m = LITERAL.exec(text);
  if (!m) return null;
  return { body: m[1] as string, flags: m[2] as PatternFlags };
}

export function isPatternLiteral(text: string): boolean {
  return LITERAL.test(text);
}

/**
 * Scan a regex literal that opens with `/` at `start`, honouring backslash escapes and
 * character classes (where `/` needs no escape). Returns null when it never closes.
 */
export function scanPatternLiteral(
  source: string,
  start: number,
): { body: string; flags: PatternFlags; end: number } | null {
  let inClass = false;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '/') {
      const flags: PatternFlags = source[i + 1] === 'i' ? 'i' : '';
      return { body: source.slice(start + 1, i), flags, end: i + 1 + flags.length };
    }
  }
  return null;
}

const cache = new Map<string, RegExp>();

/**
 * Compile a pattern body, validating it first. `source` and `bodyPosition` (where the body
 * starts in `source`) locate errors.
 */
export function compilePattern(
  body: string,
  flags: PatternFlags,
  source: string = body,
  bodyPosition = 0,
): RegExp {
  const key = `${flags}/${body}`;
  const hit = cache.get(key);
  if (hit) return hit;

  if (body.length === 0) {
    throw new FilterError('FILTER_BAD_REGEX', 'empty regular expression', source, bodyPosition);
  }
  if (body.length > MAX_PATTERN_LENGTH) {
    throw new FilterError(
      'FILTER_REGEX_TOO_LONG',
      `regular expression longer than ${MAX_PATTERN_LENGTH} characters`,
      source,
      bodyPosition + MAX_PATTERN_LENGTH,
    );
  }
  const unsafeAt = findNestedQuantifier(body);
  if (unsafeAt >= 0) {
    throw new FilterError(
      'FILTER_UNSAFE_REGEX',
      'regular expression repeats a group that itself repeats (e.g. (a+)+); it could run for hours',
      source,
      bodyPosition + unsafeAt,
    );
  }
  let re: RegExp;
  try {
    re = new RegExp(body, flags);
  } catch (e) {
    const detail = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    throw new FilterError('FILTER_BAD_REGEX', `invalid regular expression: ${detail}`, source, bodyPosition);
  }
  if (cache.size >= PATTERN_CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, re);
  return re;
}

/**
 * The regex for a fact's `=~` value: a `/body/` literal (flags honoured) or a bare pattern.
 * `position` is where the value starts in `source`.
 */
export function factValuePattern(value: string, source: string = value, position = 0): RegExp {
  const literal = parsePatternLiteral(value);
  if (literal) return compilePattern(literal.body, literal.flags, source, position + 1);
  return compilePattern(value, '', source, position);
}

/**
 * A test for class, agent and identity names: exact equality, or a regex for `/body/`.
 * Throws FilterError for an invalid or unsafe pattern.
 */
export function nameMatcher(text: string, source: string = text, position = 0): (candidate: string) => boolean {
  const literal = parsePatternLiteral(text);
  if (!literal) return (candidate) => candidate === text;
  const re = compilePattern(literal.body, literal.flags, source, position + 1);
  return (candidate) => re.test(candidate);
}

/**
 * Index in `body` of a quantifier applied to a group that already contains an unbounded
 * quantifier (star height above one), or -1. This rejects the classic catastrophic
 * backtracking shapes; it does not catch every slow pattern (overlapping alternatives such
 * as `(a|a)*` pass), which the length bound keeps in check.
 */
export function findNestedQuantifier(body: string): number {
  // One entry per open group: whether an unbounded quantifier occurs inside it.
  const groups: boolean[] = [false];
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    let atomIsRepeatingGroup = false;
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      i = skipCharacterClass(body, i);
    } else if (c === '(') {
      groups.push(false);
      i++;
      continue;
    } else if (c === ')') {
      const inner = groups.length > 1 ? (groups.pop() as boolean) : false;
      if (inner) groups[groups.length - 1] = true;
      atomIsRepeatingGroup = inner;
      i++;
    } else if (c === '|') {
      i++;
      continue;
    } else {
      i++;
    }

    const quantifier = readQuantifier(body, i);
    if (quantifier) {
      if (quantifier.unbounded) {
        if (atomIsRepeatingGroup) return i;
        groups[groups.length - 1] = true;
      }
      i = quantifier.end;
      if (body[i] === '?') i++;
    }
  }
  return -1;
}

function skipCharacterClass(body: string, open: number): number {
  let i = open + 1;
  if (body[i] === '^') i++;
  while (i < body.length) {
    if (body[i] === '\\') i += 2;
    else if (body[i] === ']') return i + 1;
    else i++;
  }
  return i;
}

/** A quantifier starting at `at`: `*`, `+`, `?` or `{n}`, `{n,}`, `{n,m}`; unbounded when it may repeat more than once. */
function readQuantifier(body: string, at: number): { end: number; unbounded: boolean } | null {
  const c = body[at];
  if (c === '*' || c === '+') return { end: at + 1, unbounded: true };
  if (c === '?') return { end: at + 1, unbounded: false };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(at, at + 24));
    if (!m) return null;
    const upper = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { end: at + m[0].length, unbounded: upper > 1 };
  }
  return null;
}
