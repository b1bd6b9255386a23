import { describe, expect, it } from 'vitest';
import { parseFactFilter } from '../../../src/filter/index.js';
import { errorOf } from './error-of.js';

describe('parseFactFilter operators', () => {
  it.each([
    ['cpus>=4', '>=', '4'],
    ['cpus<=4', '<=', '4'],
    ['cpus=>4', '>=', '4'],
    ['cpus=<4', '<=', '4'],
    ['os!=windows', '!=', 'windows'],
    ['os==linux', '==', 'linux'],
    ['os=~lin', '=~', 'lin'],
    ['cpus<4', '<', '4'],
    ['cpus>4', '>', '4'],
    ['os=linux', '==', 'linux'],
  ])('%s reads operator %s', (text, operator, value) => {
    const parsed = parseFactFilter(text);
    expect(parsed.operator).toBe(operator);
    expect(parsed.value).toBe(value);
  });

  it('reads fact=/re/ as a regex match and keeps the flags', () => {
    expect(parseFactFilter('kernel=/lin/')).toEqual({ fact: 'kernel', operator: '=~', value: '/lin/' });
    expect(parseFactFilter('kernel=/LIN/i')).toEqual({ fact: 'kernel', operator: '=~', value: '/LIN/i' });
  });

  it('treats a value that merely starts with a slash as a plain string', () => {
    expect(parseFactFilter('home=/root')).toEqual({ fact: 'home', operator: '==', value: '/root' });
  });

  it('keeps == with a /re/ value as string equality', () => {
    expect(parseFactFilter('path==/x/')).toEqual({ fact: 'path', operator: '==', value: '/x/' });
  });

  it('allows blanks around the operator and trims the value', () => {
    expect(parseFactFilter('cpus >= 4')).toEqual({ fact: 'cpus', operator: '>=', value: '4' });
    expect(parseFactFilter('  cpus\t>=\t4  ')).toEqual({ fact: 'cpus', operator: '>=', value: '4' });
  });

  it('accepts dotted, coloned and dashed fact names', () => {
    expect(parseFactFilter('os.family=RedHat').fact).toBe('os.family');
    expect(parseFactFilter('ec2:tag-name_1=web').fact).toBe('ec2:tag-name_1');
  });

  it('keeps everything after the operator, including further operators and spaces', () => {
    expect(parseFactFilter('motd=hello world')).toEqual({ fact: 'motd', operator: '==', value: 'hello world' });
    expect(parseFactFilter('expr=a=b')).toEqual({ fact: 'expr', operator: '==', value: 'a=b' });
  });

  it('strips single or double quotes, and never reads a quoted value as a regex', () => {
    expect(parseFactFilter("motd='hello world'")).toEqual({ fact: 'motd', operator: '==', value: 'hello world' });
    expect(parseFactFilter('motd = "a b"')).toEqual({ fact: 'motd', operator: '==', value: 'a b' });
    expect(parseFactFilter('x="/y/"')).toEqual({ fact: 'x', operator: '==', value: '/y/' });
    expect(parseFactFilter("x=''")).toEqual({ fact: 'x', operator: '==', value: '' });
  });
});

describe('parseFactFilter errors', () => {
  it.each([
    ['=value', 'FILTER_EMPTY_FACT_NAME', 0],
    ['  >= 4', 'FILTER_EMPTY_FACT_NAME', 2],
    ['', 'FILTER_EMPTY_FACT_NAME', 0],
    ['cpus>=', 'FILTER_EMPTY_VALUE', 6],
    ['cpus >=   ', 'FILTER_EMPTY_VALUE', 10],
    ['cpus', 'FILTER_MISSING_OPERATOR', 4],
    ['cpus 4', 'FILTER_MISSING_OPERATOR', 5],
    ['cp$us=4', 'FILTER_BAD_FACT_NAME', 2],
    ['$cpus=4', 'FILTER_BAD_FACT_NAME', 0],
    ['motd="hello', 'FILTER_UNTERMINATED_QUOTE', 5],
    ['motd="a" b', 'FILTER_UNEXPECTED_CHARACTER', 9],
    ['kernel=/(/', 'FILTER_BAD_REGEX', 8],
    ['kernel=~(', 'FILTER_BAD_REGEX', 8],
    ['kernel=~"(a"', 'FILTER_BAD_REGEX', 9],
  ])('%j fails with %s at %i', (text, code, position) => {
    const e = errorOf(() => parseFactFilter(text));
    expect(e.code).toBe(code);
    expect(e.position).toBe(position);
    expect(e.source).toBe(text);
  });

  it('rejects an overlong fact name at the first character past the limit', () => {
    const e = errorOf(() => parseFactFilter(`${'a'.repeat(300)}=1`));
    expect(e.code).toBe('FILTER_TOO_LONG');
    expect(e.position).toBe(256);
  });
});
