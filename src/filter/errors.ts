import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const FILTER_ERROR_CODES = {
  FILTER_EMPTY: 'an empty filter option',
  FILTER_EMPTY_FACT_NAME: 'a fact filter with no fact name before its operator',
  FILTER_BAD_FACT_NAME: 'a fact name with characters fact names do not have',
  FILTER_MISSING_OPERATOR: 'a fact filter with no comparison operator',
  FILTER_EMPTY_VALUE: 'nothing after the operator',
  FILTER_UNTERMINATED_QUOTE: 'a quoted value with no closing quote',
  FILTER_UNTERMINATED_REGEX: 'a `/regex/` with no closing slash',
  FILTER_BAD_REGEX: 'a regular expression that is empty, does not compile or has an unknown flag',
  FILTER_UNSUPPORTED_REGEX: 'a regular expression feature RE2, the linear-time engine, lacks (backreferences, lookaround)',
  FILTER_REGEX_TOO_COMPLEX: 'a regular expression whose counted repetitions expand past the limit',
  FILTER_REGEX_TOO_LONG: 'a regular expression longer than the limit',
  FILTER_REGEX_WITH_ORDERING: 'a regular expression given to <, <=, > or >=',
  FILTER_TOO_MANY: 'more filters of one kind than a node accepts',
  FILTER_CONTROL_CHARACTER: 'a control character (other than tab) in filter text',
  FILTER_TOO_LONG: 'filter text longer than the limit',
  FILTER_UNEXPECTED_CHARACTER: 'a character the compound language does not expect there',
  FILTER_BAD_DATA_CALL: "a data plugin call such as `puppet().enabled` that is not written `plugin('argument').field`",
  FILTER_UNKNOWN_DATA_PLUGIN: 'a data plugin call naming a plugin the client (or node) does not have',
  FILTER_UNKNOWN_DATA_FIELD: "a data plugin call naming a field its plugin's DDL does not declare, or none when it must",
  FILTER_BAD_DATA_ARGUMENT: 'a data plugin argument its DDL refuses (missing, extra, too long, or failing its validation)',
  FILTER_DATA_UNSUPPORTED: 'data plugin calls with a discovery method that cannot evaluate them on the nodes',
  FILTER_EMPTY_EXPRESSION: 'an empty compound expression or pair of parentheses',
  FILTER_UNBALANCED_PAREN: 'a parenthesis without its partner',
  FILTER_DANGLING_OPERATOR: "'and', 'or' or 'not' without the term it needs",
  FILTER_MISSING_CONNECTIVE: "two terms with no 'and' or 'or' between them",
  FILTER_TOO_DEEP: 'a compound expression nested deeper than the limit',
  FILTER_INVALID_SHAPE: 'a filter object (from the wire or the library) that breaks the filter schema',
} as const satisfies ErrorCodeTable;
export type FilterErrorCode = keyof typeof FILTER_ERROR_CODES;

/** Widest excerpt of the source shown by format(), so a 4 KB expression still prints as one readable line. */
const EXCERPT_WIDTH = 72;

/**
 * A filter that cannot be parsed or evaluated. `position` is the 0-based index of the
 * offending character in `source` (it may equal `source.length` when something is missing
 * at the end). `option` names the command-line option the text came from, when known.
 */
export class FilterError extends TroupeError {
  override readonly name = 'FilterError';
  declare readonly code: FilterErrorCode;

  constructor(
    code: FilterErrorCode,
    message: string,
    readonly source: string,
    readonly position: number,
    readonly option?: string,
    /** How many characters from `position` are at fault (a misspelt name): each gets a caret. */
    readonly span = 1,
  ) {
    super(code, message);
  }

  /** The same error, attributed to a command-line option such as `-F`. */
  forOption(option: string): FilterError {
    return new FilterError(this.code, this.message, this.source, this.position, option, this.span);
  }

  /** The source line, a caret under the offending character, then the message. */
  format(): string {
    const prefix = this.option ? `${this.option}: ` : '';
    const message = escapeControls(this.message);
    if (this.source.length === 0) return `${prefix}${message}`;

    const { text, caret } = excerpt(this.source, this.position);
    const width = Math.max(1, Math.min(this.span, this.source.length - this.position, EXCERPT_WIDTH / 2));
    return `${text}\n${caret}${'^'.repeat(width)}\n${prefix}${message}`;
  }
}

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const CONTROL_NAMES: Record<string, string> = { '\n': 'newline', '\r': 'carriage return', '\u0000': 'NUL' };

/** A character for an error message: quoted when printable, named with its code point when it is a control character. */
export function describeCharacter(c: string | undefined): string {
  if (c === undefined) return 'end of text';
  if (!CONTROL.test(c)) return `character '${c}'`;
  const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return CONTROL_NAMES[c] ? `${CONTROL_NAMES[c]} (${code})` : `control character ${code}`;
}

/**
 * Refuse filter text holding a control character other than tab: no name or fact value contains one, and
 * a newline passed on silently would compare against nothing.
 */
export function rejectControlCharacters(text: string): void {
  const at = text.search(CONTROL);
  if (at >= 0) {
    throw new FilterError('FILTER_CONTROL_CHARACTER', `${describeCharacter(text[at])} is not allowed in a filter`, text, at);
  }
}

/** Messages may quote text from the wire; a raw newline in one would break the two-line layout. */
function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function excerpt(source: string, position: number): { text: string; caret: string } {
  const at = Math.max(0, Math.min(position, source.length));
  let start = 0;
  let end = source.length;
  if (source.length > EXCERPT_WIDTH) {
    start = Math.max(0, Math.min(at - EXCERPT_WIDTH / 2, source.length - EXCERPT_WIDTH));
    end = Math.min(source.length, start + EXCERPT_WIDTH);
  }
  const lead = start > 0 ? '…' : '';
  const tail = end < source.length ? '…' : '';
  const visible = printable(source.slice(start, end));
  // Tabs are kept in the caret line so the caret stays aligned under tab-separated text.
  const caret = (lead + visible.slice(0, at - start)).replace(/[^\t]/g, ' ');
  return { text: lead + visible + tail, caret };
}

/** Control characters other than tab would break the two-line layout; show them as spaces. */
function printable(text: string): string {
  return text.replace(CONTROLS, ' ');
}
