/** Splits -S expression text into tokens, each carrying the index where it starts. */
import { describeCharacter, FilterError, rejectControlCharacters } from '../errors.js';
import { MAX_TEXT_LENGTH } from '../limits.js';
import { checkFactNameLength, isBlank, operatorAt, resolveOperator, scanName, skipBlanks } from '../fact-term.js';
import { nameMatcher, scanPatternLiteral, scanValueLiteral } from '../pattern.js';
import type { CompoundClassTerm, CompoundDataTerm, CompoundFactTerm } from './ast.js';
import type { FactOperator } from '../model.js';

export type Token =
  | { kind: 'lparen' | 'rparen'; position: number }
  | { kind: 'and' | 'or' | 'not'; position: number; text: string }
  | { kind: 'term'; position: number; term: CompoundClassTerm | CompoundFactTerm | CompoundDataTerm };

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

  if (source[nameEnd] === '(') return scanDataTerm(source, at, name, nameEnd);
  const opStart = skipBlanks(source, nameEnd);
  if (operatorAt(source, opStart)) return scanFactTerm(source, at, name, opStart);
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
  const { operator, value, end } = scanComparison(source, opStart);
  const term: CompoundFactTerm = { type: 'fact', filter: { fact, operator, value }, position: at };
  return { token: { kind: 'term', position: at, term }, end };
}

const PLUGIN_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const FIELD_START = /[A-Za-z_]/;
const FIELD_CHAR = /[A-Za-z0-9_]/;

/** `plugin( ['argument'] ) [.field] <op> value`, the name already scanned and `(` at `open`. */
function scanDataTerm(source: string, at: number, plugin: string, open: number): { token: Token; end: number } {
  if (!PLUGIN_NAME.test(plugin)) {
    throw new FilterError('FILTER_BAD_DATA_CALL', `'${plugin}' is not a data plugin name (lower-case letters, digits and _)`, source, at);
  }
  let i = skipBlanks(source, open + 1);
  let argument: string | undefined;
  const argumentPosition = i;
  const quote = source[i];
  if (quote === '"' || quote === "'") {
    const close = source.indexOf(quote, i + 1);
    if (close < 0) throw new FilterError('FILTER_UNTERMINATED_QUOTE', `unterminated ${quote} quote`, source, i);
    argument = source.slice(i + 1, close);
    i = skipBlanks(source, close + 1);
  }
  if (source[i] !== ')') {
    const what = argument === undefined ? "a quoted argument or ')'" : "')'";
    throw new FilterError('FILTER_BAD_DATA_CALL', `expected ${what} in ${plugin}(...), found ${describeCharacter(source[i])}`, source, i);
  }
  i++;
  let field: string | undefined;
  let fieldPosition = i;
  if (source[i] === '.') {
    fieldPosition = i + 1;
    let end = fieldPosition;
    if (!FIELD_START.test(source[end] ?? '')) {
      throw new FilterError('FILTER_BAD_DATA_CALL', `expected a field name after '${plugin}(...).'`, source, end);
    }
    while (end < source.length && FIELD_CHAR.test(source[end] as string)) end++;
    field = source.slice(fieldPosition, end);
    i = end;
  }
  const opStart = skipBlanks(source, i);
  if (!operatorAt(source, opStart)) {
    const shown = `${plugin}(...)${field === undefined ? '' : `.${field}`}`;
    throw new FilterError('FILTER_MISSING_OPERATOR', `expected an operator (== != < > <= >= =~) after ${shown}`, source, opStart);
  }
  const { operator, value, end } = scanComparison(source, opStart);
  const call = argument === undefined ? { plugin } : { plugin, argument };
  const term: CompoundDataTerm = {
    type: 'data',
    call: field === undefined ? call : { ...call, field },
    operator,
    value,
    position: at,
    argumentPosition,
    fieldPosition,
  };
  return { token: { kind: 'term', position: at, term }, end };
}

/** The operator at `opStart` and the value after it: quoted, a `/regex/`, or a word running to the next delimiter. */
function scanComparison(source: string, opStart: number): { operator: FactOperator; value: string; end: number } {
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
  return { operator: resolveOperator(written, value, quoted, source, valuePosition), value, end };
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
