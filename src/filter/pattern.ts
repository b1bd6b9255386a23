/**
 * Regular expressions in filters and policies, all evaluated by RE2 (the re2js port): matching takes time
 * linear in the text whatever the pattern, so no filter a certificate holder sends can hang a node.
 *
 * - A class, agent or identity starting with `/` is a regex, as in MCollective: `/body/`, `/body/i`, or
 *   `/body` with no closing slash. Anything else is an exact name.
 * - A fact value is a regex when written `/body/` or `/body/i` (or after `=~`, where the whole value is one).
 *
 * Matching is case-sensitive unless the `i` flag is given. The syntax is RE2's (as Go and Choria):
 * backreferences and lookaround do not exist there and are refused with their position, as is a pattern whose
 * counted repetitions (`x{1000}`) would compile into a very large program, so compiling stays cheap too.
 * Each pattern is compiled once and cached.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { FilterError } from './errors.js';
import { MAX_PATTERN_EXPANSION, MAX_PATTERN_LENGTH, PATTERN_CACHE_LIMIT } from './limits.js';

export type PatternFlags = '' | 'i';

export interface PatternLiteral {
  body: string;
  /** The letters after the closing slash, not yet checked (only `i` is accepted). */
  flags: string;
  /** Index of the first flag letter (or where it would be) in the text. */
  flagsAt: number;
}

/** What filters need of a compiled pattern. */
export interface Pattern {
  test(text: string): boolean;
}

/** True when a class, identity or agent name is a regex: it starts with `/`. */
export function isNamePattern(text: string): boolean {
  return text.startsWith('/');
}

/**
 * The body and flags of a name that starts with `/`, or null for an exact name. A final unescaped
 * slash, optionally followed by letters, closes the body; without one the body runs to the end.
 */
export function parseNamePattern(text: string): PatternLiteral | null {
  if (!isNamePattern(text)) return null;
  const close = /\/([A-Za-z]*)$/.exec(text);
  if (close && close.index > 0 && !isEscaped(text, close.index)) {
    return { body: text.slice(1, close.index), flags: close[1] as string, flagsAt: close.index + 1 };
  }
  return { body: text.slice(1), flags: '', flagsAt: text.length };
}

const VALUE_LITERAL = /^\/([\s\S]+)\/(i?)$/;

/** True when a fact value is written as a regex: `/body/` or `/body/i`. */
export function isRegexValue(value: string): boolean {
  return VALUE_LITERAL.test(value);
}

/**
 * Scan a regex literal opening with `/` at `start` in -S text, honouring backslash escapes and character
 * classes (where `/` needs no escape). It ends at its closing slash and the letters after it, or, when
 * there is none, at the first blank or the first `)` it did not open, or the end. `closed` tells which.
 */
export function scanPatternLiteral(source: string, start: number): { text: string; end: number; closed: boolean } {
  let inClass = false;
  let depth = 0;
  let i = start + 1;
  for (; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '/') {
      let end = i + 1;
      while (end < source.length && /[A-Za-z]/.test(source[end] as string)) end++;
      return { text: source.slice(start, end), end, closed: true };
    } else if (c === ' ' || c === '\t') {
      break;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      if (depth === 0) break;
      depth--;
    }
  }
  const end = Math.min(i, source.length);
  return { text: source.slice(start, end), end, closed: false };
}

/** Scan a fact value that opens with `/` in -S text: a `/body/` or `/body/i` literal, or null. */
export function scanValueLiteral(source: string, start: number): { end: number } | null {
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
      if (i === start + 1) return null;
      return { end: source[i + 1] === 'i' ? i + 2 : i + 1 };
    }
  }
  return null;
}

const cache = new Map<string, Pattern>();

/**
 * Compile a pattern body, validating it first. `source` and `bodyPosition` (where the body starts in
 * `source`) locate errors. Throws FilterError.
 */
export function compilePattern(body: string, flags: PatternFlags, source: string = body, bodyPosition = 0): Pattern {
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
  const shape = inspectPattern(body);
  if (shape.unsupported) {
    throw new FilterError(
      'FILTER_UNSUPPORTED_REGEX',
      `${shape.unsupported.what} not supported: filters use RE2 syntax, which matches in linear time`,
      source,
      bodyPosition + shape.unsupported.at,
    );
  }
  if (shape.tooLargeAt >= 0) {
    throw new FilterError(
      'FILTER_REGEX_TOO_COMPLEX',
      `regular expression too complex: its counted repetitions add more than ${MAX_PATTERN_EXPANSION} copies`,
      source,
      bodyPosition + shape.tooLargeAt,
    );
  }

  let re: RE2JS;
  try {
    re = RE2JS.compile(body, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw syntaxError(e, body, source, bodyPosition);
  }
  const pattern: Pattern = { test: (text) => re.test(text) };
  if (cache.size >= PATTERN_CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, pattern);
  return pattern;
}

function syntaxError(e: unknown, body: string, source: string, bodyPosition: number): FilterError {
  if (!(e instanceof RE2JSSyntaxException)) throw e;
  const description = e.getDescription();
  if (description === 'expression too large') {
    return new FilterError('FILTER_REGEX_TOO_COMPLEX', 'regular expression too complex', source, bodyPosition);
  }
  // RE2 names the offending fragment, not its index: point at its first occurrence.
  const fragment = e.getPattern();
  const at = fragment ? Math.max(0, body.indexOf(fragment)) : 0;
  const detail = fragment && fragment !== body ? `${description}: ${fragment}` : description;
  return new FilterError('FILTER_BAD_REGEX', `invalid regular expression: ${detail}`, source, bodyPosition + at);
}

/**
 * The regex for a fact's `=~` value: a `/body/` or `/body/i` literal, or a bare pattern.
 * `position` is where the value starts in `source`.
 */
export function factValuePattern(value: string, source: string = value, position = 0): Pattern {
  const literal = VALUE_LITERAL.exec(value);
  if (literal) return compilePattern(literal[1] as string, literal[2] as PatternFlags, source, position + 1);
  return compilePattern(value, '', source, position);
}

/**
 * A test for class, agent and identity names: exact equality, or a regex for a name starting with `/`.
 * Throws FilterError for an invalid pattern or flag.
 */
export function nameMatcher(text: string, source: string = text, position = 0): (candidate: string) => boolean {
  const literal = parseNamePattern(text);
  if (!literal) return (candidate) => candidate === text;
  if (literal.flags !== '' && literal.flags !== 'i') {
    const bad = [...literal.flags].find((f) => f !== 'i') as string;
    throw new FilterError(
      'FILTER_BAD_REGEX',
      `unknown regular expression flag '${bad}' (only i, ignore case, is supported)`,
      source,
      position + literal.flagsAt + literal.flags.indexOf(bad),
    );
  }
  const re = compilePattern(literal.body, literal.flags, source, position + 1);
  return (candidate) => re.test(candidate);
}

function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

interface PatternShape {
  /** Syntax a backtracking engine has and RE2 lacks, named for the error message. */
  unsupported?: { at: number; what: string };
  /** Index of the quantifier at which counted repetitions had added more than MAX_PATTERN_EXPANSION copies, or -1. */
  tooLargeAt: number;
}

/**
 * One pass over a body for what RE2 would reject with a vaguer message (lookaround, backreferences,
 * atomic groups), and for the copies its counted repetitions add: RE2 compiles `x{n,m}` into m copies
 * of x, so `[a-z]{0,300}` costs as much as 300 classes written out. Everything else (balance, ranges,
 * escapes) is left to RE2's parser.
 */
export function inspectPattern(body: string): PatternShape {
  // Expanded size of each open group so far, and of its last atom (which a quantifier multiplies).
  const groups: Array<{ size: number; last: number }> = [{ size: 0, last: 0 }];
  const top = () => groups[groups.length - 1] as { size: number; last: number };
  // Atoms as written: copies beyond them are what counted repetitions add.
  let written = 0;
  const added = () => groups.reduce((sum, g) => sum + g.size, 0) - written;
  const atom = (size: number) => {
    top().size += size;
    top().last = size;
  };
  const leaf = (size: number) => {
    written += size;
    atom(size);
  };

  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === '\\') {
      const next = body[i + 1];
      if (next !== undefined && /[1-9]/.test(next))
        return { unsupported: { at: i, what: `a backreference (\\${next}) is` }, tooLargeAt: -1 };
      if (next === 'k' && body[i + 2] === '<') return { unsupported: { at: i, what: 'a named backreference (\\k<…>) is' }, tooLargeAt: -1 };
      if (next === 'Q') {
        const end = body.indexOf('\\E', i + 2);
        const stop = end < 0 ? body.length : end + 2;
        leaf(Math.max(1, stop - i - 4));
        i = stop;
      } else {
        i = skipEscape(body, i);
        leaf(1);
      }
    } else if (c === '[') {
      i = skipCharacterClass(body, i);
      leaf(1);
    } else if (c === '(') {
      const group = groupOpening(body, i);
      if (group.unsupported) return { unsupported: { at: i, what: group.unsupported }, tooLargeAt: -1 };
      i = group.end;
      if (group.opens) groups.push({ size: 0, last: 0 });
      continue;
    } else if (c === ')') {
      const inner = groups.length > 1 ? (groups.pop() as { size: number }).size : 0;
      atom(inner);
      i++;
    } else if (c === '|') {
      top().last = 0;
      i++;
      continue;
    } else {
      leaf(1);
      i++;
    }

    const quantifier = readQuantifier(body, i);
    if (quantifier) {
      const g = top();
      g.size += g.last * (quantifier.copies - 1);
      g.last *= quantifier.copies;
      if (added() > MAX_PATTERN_EXPANSION) return { tooLargeAt: i };
      i = quantifier.end;
      if (body[i] === '?') i++;
    }
  }
  return { tooLargeAt: added() > MAX_PATTERN_EXPANSION ? body.length : -1 };
}

/** What a `(` at `at` opens: a group (capturing, named, flagged) or only a flag change, or an unsupported construct. */
function groupOpening(body: string, at: number): { end: number; opens: boolean; unsupported?: string } {
  if (body[at + 1] !== '?') return { end: at + 1, opens: true };
  const rest = body.slice(at + 2, at + 4);
  if (rest.startsWith('=') || rest.startsWith('!')) return { end: at, opens: false, unsupported: 'lookahead (?= or (?! is' };
  if (rest === '<=' || rest === '<!') return { end: at, opens: false, unsupported: 'lookbehind (?<= or (?<! is' };
  if (rest.startsWith('>')) return { end: at, opens: false, unsupported: 'an atomic group (?> is' };
  if (rest.startsWith('<') || rest.startsWith('P<')) {
    const close = body.indexOf('>', at);
    return { end: close < 0 ? body.length : close + 1, opens: true };
  }
  // (?flags:…) opens a group; (?flags) changes flags for the rest of the current one.
  let i = at + 2;
  while (i < body.length && /[A-Za-z-]/.test(body[i] as string)) i++;
  if (body[i] === ':') return { end: i + 1, opens: true };
  if (body[i] === ')') return { end: i + 1, opens: false };
  return { end: at + 1, opens: true };
}

function skipEscape(body: string, at: number): number {
  const next = body[at + 1];
  // \x{10FFFF}, \p{Greek}, \P{…}: the braces belong to the escape.
  if ((next === 'x' || next === 'p' || next === 'P') && body[at + 2] === '{') {
    const close = body.indexOf('}', at + 3);
    return close < 0 ? body.length : close + 1;
  }
  return Math.min(body.length, at + 2);
}

function skipCharacterClass(body: string, open: number): number {
  let i = open + 1;
  if (body[i] === '^') i++;
  if (body[i] === ']') i++;
  while (i < body.length) {
    if (body[i] === '\\') i = skipEscape(body, i);
    else if (body.startsWith('[:', i) && body.indexOf(':]', i + 2) > 0) i = body.indexOf(':]', i + 2) + 2;
    else if (body[i] === ']') return i + 1;
    else i++;
  }
  return i;
}

/** A quantifier starting at `at` and how many copies of its atom RE2 compiles for it. */
function readQuantifier(body: string, at: number): { end: number; copies: number } | null {
  const c = body[at];
  if (c === '*' || c === '+' || c === '?') return { end: at + 1, copies: 1 };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(at, at + 24));
    if (!m) return null;
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : m[3] === '' ? low : Number(m[3]);
    return { end: at + m[0].length, copies: Math.max(1, low, high) };
  }
  return null;
}
