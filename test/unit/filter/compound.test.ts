import { describe, expect, it } from 'vitest';
import { compileCompound, formatCompound, parseCompound, type NodeView } from '../../../src/filter/index.js';
import { errorOf } from './error-of.js';

const shape = (text: string): string => formatCompound(parseCompound(text));

const node: NodeView = {
  identity: 'web1',
  facts: { customer: 'acme', environment: 'staging', cpus: 8, os: { family: 'RedHat' }, motd: 'hello world' },
  classes: ['apache', 'base::users', 'ntp'],
  agents: ['rpcutil', 'puppet'],
};
const matches = (text: string, on: NodeView = node): boolean => compileCompound(parseCompound(text))(on);

describe('parseCompound terms', () => {
  it('reads a bare word as a class and /re/ as a class regex', () => {
    expect(parseCompound('apache')).toEqual({ type: 'class', value: 'apache', position: 0 });
    expect(parseCompound('  /^apa/i')).toEqual({ type: 'class', value: '/^apa/i', position: 2 });
    expect(parseCompound('base::users')).toEqual({ type: 'class', value: 'base::users', position: 0 });
  });

  it('reads a term starting with / as a class regex even without its closing slash, as -C does', () => {
    expect(parseCompound('/^apa')).toEqual({ type: 'class', value: '/^apa', position: 0 });
    expect(shape('a and /apa')).toBe('a and /apa');
    expect(shape('(/^db0) or /^(web|app)0')).toBe('/^db0 or /^(web|app)0');
    expect(shape('/^db0 or /^web/')).toBe('/^db0 or /^web/');
    expect(matches('/^apa')).toBe(true);
    expect(matches('/^ntp$')).toBe(true);
    expect(matches('/^xyz')).toBe(false);
  });

  it('reads a fact value as a regex only when written /re/, as -F does', () => {
    expect(parseCompound('home=/root')).toMatchObject({ filter: { fact: 'home', operator: '==', value: '/root' } });
    expect(parseCompound('path=/usr/bin')).toMatchObject({ filter: { operator: '==', value: '/usr/bin' } });
    expect(parseCompound('(mounts=/var)')).toMatchObject({ filter: { operator: '==', value: '/var' } });
    expect(parseCompound('role=/^web/')).toMatchObject({ filter: { operator: '=~', value: '/^web/' } });
    expect(parseCompound("cpus>'/^1/'")).toMatchObject({ filter: { operator: '>', value: '/^1/' } });
  });

  it('reads a term with an operator as a fact match', () => {
    expect(parseCompound('customer=acme')).toEqual({
      type: 'fact',
      filter: { fact: 'customer', operator: '==', value: 'acme' },
      position: 0,
    });
    expect(parseCompound('kernel=/lin ux/i')).toMatchObject({ filter: { operator: '=~', value: '/lin ux/i' } });
  });

  it('accepts == and spaces around the operator', () => {
    expect(parseCompound('os.family == RedHat')).toMatchObject({ filter: { fact: 'os.family', operator: '==', value: 'RedHat' } });
    expect(parseCompound('cpus >= 4')).toMatchObject({ filter: { fact: 'cpus', operator: '>=', value: '4' } });
    expect(parseCompound('cpus=>4')).toMatchObject({ filter: { operator: '>=' } });
  });

  it('accepts quoted values containing spaces and keywords', () => {
    expect(parseCompound("motd='hello and world' and ntp")).toMatchObject({
      type: 'and',
      operands: [{ filter: { fact: 'motd', value: 'hello and world' } }, { type: 'class', value: 'ntp' }],
    });
    expect(parseCompound('motd = "a b"')).toMatchObject({ filter: { value: 'a b', operator: '==' } });
  });

  it('ends a bare value at a blank or parenthesis', () => {
    expect(shape('(a=1)')).toBe('a == 1');
    expect(shape('(a=1 or b=2)and c')).toBe('(a == 1 or b == 2) and c');
  });
});

describe('parseCompound structure', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(shape('a or b and not c')).toBe('a or (b and not c)');
    expect(shape('not a and b')).toBe('not a and b');
    expect(shape('a and b or c and d')).toBe('(a and b) or (c and d)');
  });

  it('honours parentheses', () => {
    expect(shape('(a or b) and c')).toBe('(a or b) and c');
    expect(shape('not (a or b)')).toBe('not (a or b)');
    expect(shape('((a))')).toBe('a');
  });

  it('flattens chains of the same connective', () => {
    expect(parseCompound('a and b and c')).toMatchObject({ type: 'and', operands: [{}, {}, {}] });
  });

  it('treats keywords case-insensitively and ! as not', () => {
    expect(shape('a AND b Or NOT c')).toBe('(a and b) or not c');
    expect(shape('!a and !(b)')).toBe('not a and not b');
    expect(shape('!!a')).toBe('not not a');
  });

  it('accepts tabs as blanks', () => {
    expect(shape('a\tand\t(b\tor\tcpus\t>=\t4)')).toBe('a and (b or cpus >= 4)');
  });

  it('lets words that merely start with a keyword be classes', () => {
    expect(shape('notify and order and android')).toBe('notify and order and android');
  });

  it('parses the MCollective documentation example', () => {
    expect(shape('((customer=acme and environment=staging) or environment=development) and /apache/')).toBe(
      '((customer == acme and environment == staging) or environment == development) and /apache/',
    );
  });
});

describe('parseCompound errors', () => {
  it.each([
    ['', 'FILTER_EMPTY_EXPRESSION', 0],
    ['   ', 'FILTER_EMPTY_EXPRESSION', 0],
    ['a and ()', 'FILTER_EMPTY_EXPRESSION', 7],
    ['(a and b', 'FILTER_UNBALANCED_PAREN', 0],
    ['a and (b or (c)', 'FILTER_UNBALANCED_PAREN', 6],
    ['a)', 'FILTER_UNBALANCED_PAREN', 1],
    [') a', 'FILTER_UNBALANCED_PAREN', 0],
    ['a and', 'FILTER_DANGLING_OPERATOR', 2],
    ['and a', 'FILTER_DANGLING_OPERATOR', 0],
    ['a or and b', 'FILTER_DANGLING_OPERATOR', 5],
    ['(a and) or b', 'FILTER_DANGLING_OPERATOR', 3],
    ['a and not', 'FILTER_DANGLING_OPERATOR', 6],
    ['a !', 'FILTER_MISSING_CONNECTIVE', 2],
    ['a b', 'FILTER_MISSING_CONNECTIVE', 2],
    ['(a) (b)', 'FILTER_MISSING_CONNECTIVE', 4],
    ["motd='hello", 'FILTER_UNTERMINATED_QUOTE', 5],
    ['a and cpus>=', 'FILTER_EMPTY_VALUE', 12],
    ['(cpus>=)', 'FILTER_EMPTY_VALUE', 7],
    ['a and =4', 'FILTER_EMPTY_FACT_NAME', 6],
    ['a and @b', 'FILTER_UNEXPECTED_CHARACTER', 6],
    ['ap@che', 'FILTER_UNEXPECTED_CHARACTER', 2],
    ['/apa/x', 'FILTER_BAD_REGEX', 5],
    ['/apa/ix', 'FILTER_BAD_REGEX', 6],
    ['/apa/)', 'FILTER_UNBALANCED_PAREN', 5],
    ['cpus>/^1/', 'FILTER_REGEX_WITH_ORDERING', 5],
    ['a and cpus <= /^1/i', 'FILTER_REGEX_WITH_ORDERING', 14],
    ['/^web(?=1)/', 'FILTER_UNSUPPORTED_REGEX', 5],
    ["a='b'c", 'FILTER_UNEXPECTED_CHARACTER', 5],
    ['a\nand b', 'FILTER_CONTROL_CHARACTER', 1],
    ['role=web\r', 'FILTER_CONTROL_CHARACTER', 8],
    ["fact('os.family'.value=RedHat", 'FILTER_BAD_DATA_CALL', 16],
    ['Fact().value=RedHat', 'FILTER_BAD_DATA_CALL', 0],
    ['a and /(/', 'FILTER_BAD_REGEX', 7],
    ['k=~[x', 'FILTER_BAD_REGEX', 3],
    ["k=~'(x'", 'FILTER_BAD_REGEX', 4],
    ['k=~(x', 'FILTER_EMPTY_VALUE', 3],
  ])('%j fails with %s at %i', (text, code, position) => {
    const e = errorOf(() => parseCompound(text));
    expect(e.code).toBe(code);
    expect(e.position).toBe(position);
  });
});

describe('compound evaluation', () => {
  it('matches classes exactly or by regex', () => {
    expect(matches('apache')).toBe(true);
    expect(matches('apach')).toBe(false);
    expect(matches('/^apa/')).toBe(true);
    expect(matches('/^APA/')).toBe(false);
    expect(matches('/^APA/i')).toBe(true);
  });

  it('matches facts with the shared comparison rules', () => {
    expect(matches('cpus >= 4')).toBe(true);
    expect(matches('cpus > 10')).toBe(false);
    expect(matches('os.family == RedHat')).toBe(true);
    expect(matches("motd='hello world'")).toBe(true);
    expect(matches('missing != x')).toBe(false);
    expect(matches('not missing=x')).toBe(true);
  });

  it('combines with precedence', () => {
    // a or (b and not c): true via the left side even though "not ntp" is false.
    expect(matches('apache or nothere and not ntp')).toBe(true);
    expect(matches('(apache or nothere) and not ntp')).toBe(false);
    expect(matches('((customer=acme and environment=staging) or environment=development) and /apache/')).toBe(true);
    expect(matches('customer=acme and (environment=production or cpus<4)')).toBe(false);
  });
});
