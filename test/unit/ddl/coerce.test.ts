import { describe, expect, it } from 'vitest';
import { coerceArguments, DDLError, validateInputs } from '../../../src/ddl/index.js';
import { sampleDDL } from './fixture.js';

const ddl = sampleDDL();
const coerce = (...pairs: string[]) => coerceArguments(ddl, 'echo', pairs);

function argumentError(fn: () => unknown): DDLError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DDLError);
    return err as DDLError;
  }
  throw new Error('expected a DDLError');
}

describe('coerceArguments', () => {
  it('keeps strings as they are and splits on the first =', () => {
    expect(coerce('message=a=b=c')).toEqual({ message: 'a=b=c' });
    expect(coerce('message=')).toEqual({ message: '' });
  });

  it('turns booleans from the usual words, in any case', () => {
    for (const word of ['true', 'yes', 'y', '1', 'TRUE', 'Yes']) expect(coerce(`loud=${word}`)).toEqual({ loud: true });
    for (const word of ['false', 'no', 'n', '0', 'False', 'NO']) expect(coerce(`loud=${word}`)).toEqual({ loud: false });
  });

  it('parses integers and numbers', () => {
    expect(coerce('count=42')).toEqual({ count: 42 });
    expect(coerce('count=-3')).toEqual({ count: -3 });
    expect(coerce('ratio=0.25')).toEqual({ ratio: 0.25 });
    expect(coerce('ratio=-1e3')).toEqual({ ratio: -1000 });
    expect(coerce('ratio=7')).toEqual({ ratio: 7 });
  });

  it('parses hashes and arrays as JSON', () => {
    expect(coerce('options={"a":1,"b":[true]}')).toEqual({ options: { a: 1, b: [true] } });
    expect(coerce('tags=["web","db"]')).toEqual({ tags: ['web', 'db'] });
  });

  it('returns the declared list value the text spells', () => {
    expect(coerce('mode=fast')).toEqual({ mode: 'fast' });
    expect(coerce('mode=3')).toEqual({ mode: 3 });
    expect(coerce('mode=medium')).toEqual({ mode: 'medium' });
  });

  it('lets the last of repeated keys win', () => {
    expect(coerce('count=1', 'count=2')).toEqual({ count: 2 });
  });

  it('produces data that validateInputs accepts', () => {
    const data = coerce('message=hi there', 'count=2', 'loud=y', 'mode=3', 'options={}', 'tags=[]');
    expect(validateInputs(ddl, 'echo', data)).toEqual({ ok: true, data });
  });

  const invalid: Array<[string, RegExp]> = [
    ['loud=maybe', /^Argument 'loud' should be a boolean .*, got 'maybe'$/],
    ['count=1.5', /^Argument 'count' should be an integer, got '1.5'$/],
    ['count=abc', /^Argument 'count' should be an integer/],
    ['count=', /^Argument 'count' should be an integer/],
    ['count=99999999999999999999', /^Argument 'count' should be an integer/],
    ['ratio=0x10', /^Argument 'ratio' should be a number/],
    ['ratio=', /^Argument 'ratio' should be a number/],
    ['options=[1]', /^Argument 'options' should be a JSON object/],
    ['options={bad', /^Argument 'options' should be a JSON object/],
    ['tags={}', /^Argument 'tags' should be a JSON array/],
    ['tags=x', /^Argument 'tags' should be a JSON array/],
    ['message', /^Argument 'message' should be in the form key=value$/],
    ['=value', /^Argument '=value' should be in the form key=value$/],
    ['colour=red', /^Argument 'colour' is not an input of sample#echo; it takes message, count, ratio, loud, mode, options, tags$/],
  ];

  for (const [pair, message] of invalid) {
    it(`rejects ${pair} with ARGUMENT_INVALID`, () => {
      const err = argumentError(() => coerce(pair));
      expect(err.code).toBe('ARGUMENT_INVALID');
      expect(err.message).toMatch(message);
    });
  }

  it('says when an action takes no inputs', () => {
    expect(argumentError(() => coerceArguments(ddl, 'stats', ['x=1'])).message).toMatch(/it takes no inputs$/);
  });

  it('keeps undeclared keys as strings when the action takes additional inputs', () => {
    expect(coerceArguments(ddl, 'resource', ['type=file', 'mode=0644', 'content=a=b'])).toEqual({
      type: 'file',
      mode: '0644',
      content: 'a=b',
    });
  });

  it('throws UNKNOWN_ACTION for an unknown action', () => {
    const err = argumentError(() => coerceArguments(ddl, 'explode', []));
    expect(err.code).toBe('UNKNOWN_ACTION');
    expect(err.message).toBe("Unknown action 'explode' for agent 'sample'");
  });
});
