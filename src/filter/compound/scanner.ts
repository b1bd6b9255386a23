/** Splits -S expression text into tokens, each carrying the index where it starts. */
import { describeCharacter, FilterError, rejectControlCharacters } from '../errors.js';
import { MAX_TEXT_LENGTH } from '../limits.js';
import { checkFactNameLength, isBlank, operatorAt, resolveOperator, scanName, skipBlanks } from '../fact-term.js';
import { nameMatcher, scanPatternLiteral, scanValueLiteral } from '../pattern.js';
import type { CompoundClassTerm, CompoundFactTerm } from './ast.js';

export type Token =
  | { kind: 'lparen' | 'rparen'; position: number }
  | { kind: 'and' | 'or' | 'not'; position: number; text: string }
  | { kind: 'term'; position: number; term: CompoundClassTerm | CompoundFactTerm };

const KEYWORDS: Record<string, 'and' | 'or' | 'not'> = { and: 'and', or: 'or', not: 'not' };

export function scanCompound(source: string): Token[] {
  if (source.length > MAX_TEXT_LENGTH) {
    throw new FilterError('FILTER_TOO_LONG', `expression longer than ${MAX_TEXT_LENGTH} characters`, source, MAX_TEXT_LENGTH);
  }
  rejectControlCharacters(source);
  const tokens: Token[] = [];
  let i = skipBlanks(source, 0);
  while (i < source.length) {
    const { token, end } = scanToken(source, i);
    tokens.push(token);
    i = skipBlanks(source, end);
  }
  return tokens;
}

function scanToken(source: string, at: number): { token: Token; end: number } {
  const c = source[at];
  if (c === '(') return { token: { kind: 'lparen', position: at }, end: at + 1 };
  if (c === ')') return { token: { kind: 'rparen', position: at }, end: at + 1 };
  if (c === '!' && source[at + 1] !== '=') return { token: { kind: 'not', position: at, text: '!' }, end: at + 1 };
  if (c === '/') return scanClassPattern(source, at);

  const nameEnd = scanName(source, at);
  if (nameEnd === at) {
    if (operatorAt(source, at)) {
      throw new FilterError('FILTER_EMPTY_FACT_NAME', 'missing fact name', source, at);
    }
    throw new FilterError('FILTER_UNEXPECTED_CHARACTER', `unexpected ${describeCharacter(c)}`, source, at);
  }
  const name = source.slice(at, nameEnd);

  // A keyword stays a keyword unless an operator follows it directly (`not=1` is a fact).
  const keyword = KEYWORDS[name.toLowerCase()];
  if (keyword && !operatorAt(source, nameEnd)) {
    return { token: { kind: keyword, position: at, text: name }, end: nameEnd };
  }

  const opStart = skipBlanks(source, nameEnd);
  if (operatorAt(source, opStart)) return scanFactTerm(source, at, name, opStart);

  if (source[nameEnd] === '(') {
    throw new FilterError('FILTER_UNSUPPORTED_FUNCTION', `data functions such as ${name}(...) are not supported`, source, nameEnd);
  }
  expectDelimiter(source, nameEnd);
  return { token: { kind: 'term', position: at, term: { type: 'class', value: name, position: at } }, end: nameEnd };
}

/** A class regex: `/body/`, `/body/i`, or `/body` running to the next blank or unmatched `)`. */
function scanClassPattern(source: string, at: number): { token: Token; end: number } {
  const literal = scanPatternLiteral(source, at);
  nameMatcher(literal.text, source, at);
  if (literal.closed) expectDelimiter(source, literal.end);
  const value = literal.text;
  return { token: { kind: 'term', position: at, term: { type: 'class', value, position: at } }, end: literal.end };
}

function scanFactTerm(source: string, at: number, fact: string, opStart: number): { token: Token; end: number } {
  checkFactNameLength(fact, source, at);
  const written = operatorAt(source, opStart)!;
  const valueStart = skipBlanks(source, opStart + written.text.length);
  const first = source[valueStart];
  if (valueStart === source.length || first === '(' || first === ')') {
    throw new FilterError('FILTER_EMPTY_VALUE', `missing value after '${written.text}'`, source, valueStart);
  }

  let value: string;
  let quoted = false;
  let valuePosition = valueStart;
  let end: number;
  if (first === '"' || first === "'") {
    const close = source.indexOf(first, valueStart + 1);
    if (close < 0) throw new FilterError('FILTER_UNTERMINATED_QUOTE', `unterminated ${first} quote`, source, valueStart);
    value = source.slice(valueStart + 1, close);
    quoted = true;
    valuePosition = valueStart + 1;
    end = close + 1;
  } else {
    // A `/regex/` value ends at its closing slash; any other value, `/var` included, at the next delimiter.
    const literal = first === '/' ? scanValueLiteral(source, valueStart) : null;
    end = literal && isDelimiter(source[literal.end]) ? literal.end : valueStart;
    while (end < source.length && !isDelimiter(source[end])) end++;
    value = source.slice(valueStart, end);
  }
  expectDelimiter(source, end);

  const operator = resolveOperator(written, value, quoted, source, valuePosition);
  const term: CompoundFactTerm = { type: 'fact', filter: { fact, operator, value }, position: at };
  return { token: { kind: 'term', position: at, term }, end };
}

function isDelimiter(c: string | undefined): boolean {
  return c === undefined || isBlank(c) || c === '(' || c === ')';
}

/** A term must be followed by a blank, a parenthesis or the end. */
function expectDelimiter(source: string, at: number): void {
  if (at < source.length && !isBlank(source[at]) && source[at] !== ')' && source[at] !== '(') {
    throw new FilterError('FILTER_UNEXPECTED_CHARACTER', `unexpected ${describeCharacter(source[at])}`, source, at);
  }
}
