import { describe, expect, it } from 'vitest';
import { compileFilter, emptyFilter, MAX_PATTERN_EXPANSION } from '../../../src/filter/index.js';
import { inspectPattern, isRegexValue, nameMatcher, parseNamePattern } from '../../../src/filter/pattern.js';
import { errorOf } from './error-of.js';

describe('regex names', () => {
  it('reads any name starting with / as a regex, the closing slash optional', () => {
    expect(parseNamePattern('/web/')).toEqual({ body: 'web', flags: '', flagsAt: 5 });
    expect(parseNamePattern('/web/i')).toEqual({ body: 'web', flags: 'i', flagsAt: 5 });
    expect(parseNamePattern('/a/b/')).toEqual({ body: 'a/b', flags: '', flagsAt: 5 });
    expect(parseNamePattern('/^db0')).toEqual({ body: '^db0', flags: '', flagsAt: 5 });
    expect(parseNamePattern('/web')).toEqual({ body: 'web', flags: '', flagsAt: 4 });
    expect(parseNamePattern('/a\\/')).toEqual({ body: 'a\\/', flags: '', flagsAt: 4 });
    expect(parseNamePattern('web')).toBeNull();
    expect(parseNamePattern('web/')).toBeNull();
  });

  it('reads a fact value as a regex only when written /body/ or /body/i', () => {
    expect(isRegexValue('/^web/')).toBe(true);
    expect(isRegexValue('/^web/i')).toBe(true);
    expect(isRegexValue('/var')).toBe(false);
    expect(isRegexValue('/usr/bin')).toBe(false);
    expect(isRegexValue('//')).toBe(false);
  });

  it('matches names exactly unless written as a regex', () => {
    expect(nameMatcher('web1')('web1')).toBe(true);
    expect(nameMatcher('web1')('web10')).toBe(false);
    expect(nameMatcher('web.1')('webX1')).toBe(false);
    expect(nameMatcher('/^web\\d+$/')('web10')).toBe(true);
    expect(nameMatcher('/^web/')('WEB1')).toBe(false);
    expect(nameMatcher('/^web/i')('WEB1')).toBe(true);
    expect(nameMatcher('/^db0')('db01.example.net')).toBe(true);
    expect(nameMatcher('/^db0')('/^db0')).toBe(false);
  });

  it('refuses flags other than i, pointing at the flag', () => {
    const e = errorOf(() => nameMatcher('/web/g'));
    expect(e.code).toBe('FILTER_BAD_REGEX');
    expect(e.message).toContain("unknown regular expression flag 'g'");
    expect(e.position).toBe(5);
  });
});

describe('regex engine (RE2)', () => {
  it('accepts RE2 syntax: classes, named groups, inline flags, Unicode classes', () => {
    expect(nameMatcher('/^(?P<role>web|db)-\\d{2}$/')('db-07')).toBe(true);
    expect(nameMatcher('/(?i)^WEB/')('web1')).toBe(true);
    expect(nameMatcher('/^[[:alpha:]]+$/')('abc')).toBe(true);
    expect(nameMatcher('/^\\p{Greek}+$/')('αβγ')).toBe(true);
  });

  it('refuses lookaround, backreferences and atomic groups with their position', () => {
    const cases: Array<[string, string, number]> = [
      ['/^web(?=1)/', 'lookahead', 5],
      ['/^web(?!1)/', 'lookahead', 5],
      ['/(?<=a)b/', 'lookbehind', 1],
      ['/(?<!a)b/', 'lookbehind', 1],
      ['/(a)\\1/', 'backreference', 4],
      ['/(?<x>a)\\k<x>/', 'named backreference', 8],
      ['/(?>a+)b/', 'atomic group', 1],
    ];
    for (const [text, what, position] of cases) {
      const e = errorOf(() => nameMatcher(text));
      expect(e.code, text).toBe('FILTER_UNSUPPORTED_REGEX');
      expect(e.message, text).toContain(what);
      expect(e.message, text).toContain('RE2');
      expect(e.position, text).toBe(position);
    }
  });

  it('does not mistake escaped or bracketed syntax for lookaround or backreferences', () => {
    expect(inspectPattern('\\(?=a')).toEqual({ tooLargeAt: -1 });
    expect(inspectPattern('[(?=]x')).toEqual({ tooLargeAt: -1 });
    expect(inspectPattern('\\\\1')).toEqual({ tooLargeAt: -1 });
    expect(inspectPattern('\\Q(?=\\E')).toEqual({ tooLargeAt: -1 });
  });

  it('reports other syntax errors from RE2 at the offending fragment', () => {
    const range = errorOf(() => nameMatcher('/ab[z-a]/'));
    expect(range.code).toBe('FILTER_BAD_REGEX');
    expect(range.message).toBe('invalid regular expression: invalid character class range: z-a');
    expect(range.position).toBe(4);
    expect(errorOf(() => nameMatcher('/a{2,1}/')).message).toContain('invalid repeat count');
    expect(errorOf(() => nameMatcher('/(/')).message).toContain('missing closing )');
    expect(errorOf(() => nameMatcher('/\\Z/')).message).toContain('invalid escape sequence');
  });

  it('bounds the copies counted repetitions add, so compiling stays cheap', () => {
    expect(inspectPattern(`.{0,${MAX_PATTERN_EXPANSION + 1}}`)).toEqual({ tooLargeAt: -1 });
    expect(inspectPattern(`.{0,${MAX_PATTERN_EXPANSION + 2}}`).tooLargeAt).toBe(1);
    expect(inspectPattern('(?:ab{16}){16}').tooLargeAt).toBe(10);
    expect(inspectPattern('(?:a{16}){16}')).toEqual({ tooLargeAt: -1 });
    // Written-out text costs nothing extra: a long alternation of names stays acceptable.
    expect(inspectPattern(Array.from({ length: 120 }, (_, i) => `web${i}`).join('|'))).toEqual({ tooLargeAt: -1 });
    const e = errorOf(() => nameMatcher('/^[a-z]{0,200}[0-9]{0,200}$/'));
    expect(e.code).toBe('FILTER_REGEX_TOO_COMPLEX');
    expect(e.position).toBe(19);
  });

  it('rejects invalid, empty and overlong patterns with FilterError', () => {
    const long = errorOf(() => nameMatcher(`/${'a'.repeat(1025)}/`));
    expect(long.code).toBe('FILTER_REGEX_TOO_LONG');
    expect(long.position).toBe(1025);
    expect(() => nameMatcher(`/${'a'.repeat(1024)}/`)).not.toThrow();
    expect(errorOf(() => nameMatcher('//')).code).toBe('FILTER_BAD_REGEX');
    expect(errorOf(() => nameMatcher('/')).code).toBe('FILTER_BAD_REGEX');
  });

  it('refuses an unsupported regex arriving in a wire filter before any node is tested', () => {
    const e = errorOf(() => compileFilter({ ...emptyFilter(), identity: ['/^(a)\\1$/'] }));
    expect(e.code).toBe('FILTER_UNSUPPORTED_REGEX');
    expect(e.position).toBe(5);
  });
});
