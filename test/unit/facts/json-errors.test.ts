import { describe, expect, it } from 'vitest';
import { jsonErrorLine, summariseJsonError } from '../../../src/plugins/facts/json-errors.js';

function lineOfError(text: string): number {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonErrorLine(text, (err as Error).message);
  }
  throw new Error('expected the text to be invalid JSON');
}

describe('jsonErrorLine', () => {
  it.each([
    ['an unexpected bare word', '{\n  "a": 1,\n  "b": oops\n}\n', 3],
    ['a trailing comma', '{\n  "a": 1,\n}\n', 3],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', 3],
    ['text after the document', '{"a": 1}\n\nextra', 3],
    ['a bad escape', '{\n"a": "\\q"\n}', 2],
    ['a single-quoted string', "{\n\n\n  'a': 1\n}", 4],
  ])('finds %s', (_name, text, line) => {
    expect(lineOfError(text)).toBe(line);
  });

  it('points at the last line of a truncated document', () => {
    expect(lineOfError('{\n  "a": {\n    "b": 1\n')).toBe(3);
    expect(lineOfError('{\n  "a": "unterminated')).toBe(2);
  });

  it('trusts a line number given in the message', () => {
    expect(jsonErrorLine('{}', 'Unexpected token at position 3 (line 7 column 2)')).toBe(7);
  });
});

describe('summariseJsonError', () => {
  it('drops the quoted input V8 appends', () => {
    expect(summariseJsonError('Unexpected token \'o\', ..."1,\n  "b": oops\n}\n" is not valid JSON')).toBe("Unexpected token 'o'");
    expect(summariseJsonError('Unexpected token \'o\', "{"a": oops      "... is not valid JSON')).toBe("Unexpected token 'o'");
    expect(summariseJsonError('Unexpected end of JSON input')).toBe('Unexpected end of JSON input');
  });
});
