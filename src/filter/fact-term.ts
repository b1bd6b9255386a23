/**
 * Fact filter text as typed after -F / --wf and inside -W: `fact<op>value`.
 *
 * Operators are tried longest first, in MCollective's order: `>=` `<=` `=>` (>=) `=<` (<=)
 * `!=` `==` `=~` `<` `>` `=`. A plain `=` means `==`, or `=~` when the value is a `/regex/`.
 * Spaces may surround the operator. The value runs to the end of the text; it may be quoted
 * with '…' or "…" (the quotes are dropped, and a quoted value is never read as a regex).
 */
import { describeCharacter, FilterError, rejectControlCharacters } from './errors.js';
import { MAX_FACT_NAME_LENGTH, MAX_TEXT_LENGTH } from './limits.js';
import type { FactFilter, FactOperator } from './model.js';
import { factValuePattern, isRegexValue } from './pattern.js';

const OPERATORS: ReadonlyArray<readonly [string, FactOperator]> = [
  ['>=', '>='],
  ['<=', '<='],
  ['=>', '>='],
  ['=<', '<='],
  ['!=', '!='],
  ['==', '=='],
  ['=~', '=~'],
  ['<', '<'],
  ['>', '>'],
  ['=', '=='],
];

export const FACT_NAME = /^[A-Za-z0-9_.:-]+$/;
const FACT_NAME_CHAR = /[A-Za-z0-9_.:-]/;

export interface OperatorMatch {
  /** The operator as written, e.g. "=>" or "=". */
  text: string;
  operator: FactOperator;
}

/** The operator written at `at`, if any. */
export function operatorAt(source: string, at: number): OperatorMatch | null {
  for (const [text, operator] of OPERATORS) {
    if (source.startsWith(text, at)) return { text, operator };
  }
  return null;
}

export function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

export function skipBlanks(source: string, at: number, end = source.length): number {
  while (at < end && isBlank(source[at])) at++;
  return at;
}

/** End of the run of fact-name characters starting at `at`. */
export function scanName(source: string, at: number, end = source.length): number {
  while (at < end && FACT_NAME_CHAR.test(source[at] as string)) at++;
  return at;
}

/** Fail unless `name` (found at `position`) is a usable fact name. */
export function checkFactNameLength(name: string, source: string, position: number): void {
  if (name.length > MAX_FACT_NAME_LENGTH) {
    throw new FilterError(
      'FILTER_TOO_LONG',
      `fact name longer than ${MAX_FACT_NAME_LENGTH} characters`,
      source,
      position + MAX_FACT_NAME_LENGTH,
    );
  }
}

const ORDERING: readonly FactOperator[] = ['<', '>', '<=', '>='];

/**
 * The wire operator for an operator as written: plain `=` with an unquoted `/regex/` value
 * becomes `=~`. Validates the pattern of a `=~` filter (`valuePosition` locates errors), and refuses
 * an ordering operator with a `/regex/` value, which would otherwise compare the pattern's text.
 */
export function resolveOperator(
  written: OperatorMatch,
  value: string,
  quoted: boolean,
  source: string,
  valuePosition: number,
): FactOperator {
  const regex = !quoted && isRegexValue(value);
  if (regex && ORDERING.includes(written.operator)) {
    throw new FilterError(
      'FILTER_REGEX_WITH_ORDERING',
      `'${written.text}' compares values in order and cannot take a regular expression; match with = or =~, or quote the value to compare the text`,
      source,
      valuePosition,
    );
  }
  const operator = written.text === '=' && regex ? '=~' : written.operator;
  if (operator === '=~') factValuePattern(value, source, valuePosition);
  return operator;
}

/** Parse a -F / --wf filter. Throws FilterError pointing at the offending character. */
export function parseFactFilter(text: string): FactFilter {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new FilterError('FILTER_TOO_LONG', `filter longer than ${MAX_TEXT_LENGTH} characters`, text, MAX_TEXT_LENGTH);
  }
  rejectControlCharacters(text);
  return parseFactText(text, 0, text.length);
}

/** Parse the fact filter occupying `source[start, end)`; error positions are indexes into `source`. */
export function parseFactText(source: string, start: number, end: number): FactFilter {
  const nameStart = skipBlanks(source, start, end);
  const nameEnd = scanName(source, nameStart, end);
  if (nameEnd === nameStart) {
    if (nameStart === end || operatorAt(source, nameStart)) {
      throw new FilterError('FILTER_EMPTY_FACT_NAME', 'missing fact name', source, nameStart);
    }
    throw new FilterError('FILTER_BAD_FACT_NAME', `unexpected ${describeCharacter(source[nameStart])} in fact name`, source, nameStart);
  }
  const fact = source.slice(nameStart, nameEnd);
  checkFactNameLength(fact, source, nameStart);

  const opStart = skipBlanks(source, nameEnd, end);
  const written = opStart < end ? operatorAt(source, opStart) : null;
  if (!written) {
    if (opStart === nameEnd && opStart < end) {
      throw new FilterError('FILTER_BAD_FACT_NAME', `unexpected ${describeCharacter(source[opStart])} in fact name`, source, opStart);
    }
    throw new FilterError('FILTER_MISSING_OPERATOR', `expected an operator (== != < > <= >= =~) after fact '${fact}'`, source, opStart);
  }

  const valueStart = skipBlanks(source, opStart + written.text.length, end);
  let valueEnd = end;
  while (valueEnd > valueStart && isBlank(source[valueEnd - 1])) valueEnd--;
  if (valueEnd === valueStart) {
    throw new FilterError('FILTER_EMPTY_VALUE', `missing value after '${written.text}'`, source, valueStart);
  }

  const quote = source[valueStart];
  if (quote === '"' || quote === "'") {
    const close = source.indexOf(quote, valueStart + 1);
    if (close < 0 || close >= valueEnd) {
      throw new FilterError('FILTER_UNTERMINATED_QUOTE', `unterminated ${quote} quote`, source, valueStart);
    }
    if (close !== valueEnd - 1) {
      throw new FilterError(
        'FILTER_UNEXPECTED_CHARACTER',
        'unexpected text after the closing quote',
        source,
        skipBlanks(source, close + 1, end),
      );
    }
    const value = source.slice(valueStart + 1, close);
    return { fact, operator: resolveOperator(written, value, true, source, valueStart + 1), value };
  }

  const value = source.slice(valueStart, valueEnd);
  return { fact, operator: resolveOperator(written, value, false, source, valueStart), value };
}
