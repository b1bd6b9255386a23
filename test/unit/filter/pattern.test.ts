import { describe, expect, it } from 'vitest';
import { compileFilter, emptyFilter, FilterError } from '../../../src/filter/index.js';
import { findNestedQuantifier, nameMatcher, parsePatternLiteral } from '../../../src/filter/pattern.js';
import { errorOf } from './error-of.js';


describe('regex literals', () => {
  it('recognises /body/ and /body/i only', () => {
    expect(parsePatternLiteral('/web/')).toEqual({ body: 'web', flags: '' });
    expect(parsePatternLiteral('/web/i')).toEqual({ body: 'web', flags: 'i' });
    expect(parsePatternLiteral('/a/b/')).toEqual({ body: 'a/b', flags: '' });
    expect(parsePatternLiteral('web')).toBeNull();
    expect(parsePatternLiteral('//')).toBeNull();
    expect(parsePatternLiteral('/usr/bin')).toBeNull();
    expect(parsePatternLiteral('/web/g')).toBeNull();
  });

  it('matches names exactly unless written as a regex', () => {
    expect(nameMatcher('web1')('web1')).toBe(true);
    expect(nameMatcher('web1')('web10')).toBe(false);
    expect(nameMatcher('web.1')('webX1')).toBe(false);
    expect(nameMatcher('/^web\\d+$/')('web10')).toBe(true);
    expect(nameMatcher('/^web/')('WEB1')).toBe(false);
    expect(nameMatcher('/^web/i')('WEB1')).toBe(true);
  });
});

describe('regex safety', () => {
  it('flags a repeated group that itself repeats', () => {
    expect(findNestedQuantifier('(a+)+')).toBe(4);
    expect(findNestedQuantifier('^(\\w+\\s?)*$')).toBe(9);
    expect(findNestedQuantifier('((ab)*c)+')).toBe(8);
    expect(findNestedQuantifier('(.*a){3,}')).toBe(5);
  });

  it('accepts ordinary patterns', () => {
    expect(findNestedQuantifier('^web\\d+\\.example\\.com$')).toBe(-1);
    expect(findNestedQuantifier('(ab)+')).toBe(-1);
    expect(findNestedQuantifier('(a+)?')).toBe(-1);
    expect(findNestedQuantifier('(a+){1}')).toBe(-1);
    expect(findNestedQuantifier('[(+]+')).toBe(-1);
    expect(findNestedQuantifier('\\(a+\\)+')).toBe(-1);
  });

  it('rejects unsafe, invalid, empty and overlong patterns with FilterError', () => {
    expect(errorOf(() => nameMatcher('/(a+)+$/')).code).toBe('FILTER_UNSAFE_REGEX');
    const bad = errorOf(() => nameMatcher('/[z-a]/'));
    expect(bad.code).toBe('FILTER_BAD_REGEX');
    expect(bad.position).toBe(1);
    const long = errorOf(() => nameMatcher(`/${'a'.repeat(1025)}/`));
    expect(long.code).toBe('FILTER_REGEX_TOO_LONG');
    expect(long.position).toBe(1025);
    expect(() => nameMatcher(`/${'a'.repeat(1024)}/`)).not.toThrow();
  });

  it('refuses an unsafe regex arriving in a wire filter before any node is tested', () => {
    const e = errorOf(() => compileFilter({ ...emptyFilter(), identity: ['/^(a+)+$/'] }));
    expect(e.code).toBe('FILTER_UNSAFE_REGEX');
    expect(e.position).toBe(6);
  });
});
