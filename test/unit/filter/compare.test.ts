import { describe, expect, it } from 'vitest';
import { compareFact, FilterError, lookupFact } from '../../../src/filter/index.js';

describe('compareFact equality', () => {
  it('compares as strings, stringifying numbers and booleans', () => {
    expect(compareFact('RedHat', '==', 'RedHat')).toBe(true);
    expect(compareFact('RedHat', '==', 'redhat')).toBe(false);
    expect(compareFact(4, '==', '4')).toBe(true);
    expect(compareFact(4, '==', '4.0')).toBe(false);
    expect(compareFact(1.5, '==', '1.5')).toBe(true);
    expect(compareFact(true, '==', 'true')).toBe(true);
    expect(compareFact(false, '!=', 'true')).toBe(true);
    expect(compareFact('010', '==', '10')).toBe(false);
  });
});

describe('compareFact ordering', () => {
  it('compares decimal numbers numerically', () => {
    expect(compareFact('10', '>', '9')).toBe(true);
    expect(compareFact(10, '>', '9')).toBe(true);
    expect(compareFact('-3', '<', '2')).toBe(true);
    expect(compareFact('+5', '>=', '5')).toBe(true);
    expect(compareFact('2.5', '<', '10')).toBe(true);
    expect(compareFact('4', '<=', '4')).toBe(true);
    expect(compareFact('4', '<', '4')).toBe(false);
  });

  it('reads leading zeros as decimal, not octal', () => {
    expect(compareFact('010', '>', '9')).toBe(true);
    expect(compareFact('010', '>=', '10')).toBe(true);
    expect(compareFact('010', '<=', '10')).toBe(true);
    expect(compareFact('08', '>', '7')).toBe(true);
  });

  it('does not treat exponent or hex notation as numbers', () => {
    // As strings: "1e3" sorts before "5"; numerically it would be 1000.
    expect(compareFact('1e3', '>', '5')).toBe(false);
    expect(compareFact('0x10', '>', '9')).toBe(false);
  });

  it('compares dotted versions component-wise', () => {
    expect(compareFact('1.10.2', '>', '1.9.7')).toBe(true);
    expect(compareFact('1.9.7', '<', '1.10.2')).toBe(true);
    expect(compareFact('2.0', '>', '1.99.99')).toBe(true);
    expect(compareFact('1.2', '>=', '1.2.0')).toBe(true);
    expect(compareFact('1.2', '<', '1.2.1')).toBe(true);
    expect(compareFact('7', '>', '6.9.9')).toBe(true);
    expect(compareFact('1.00010.0', '>', '1.9.0')).toBe(true);
  });

  it('compares two plain decimals numerically even when they look like versions', () => {
    expect(compareFact('1.10', '<', '1.9')).toBe(true);
  });

  it('falls back to string order otherwise', () => {
    expect(compareFact('apple', '<', 'banana')).toBe(true);
    expect(compareFact('B', '<', 'a')).toBe(true);
    expect(compareFact('10a', '<', '9')).toBe(true);
    expect(compareFact('abc', '>=', 'abc')).toBe(true);
  });
});

describe('compareFact regex', () => {
  it('tests bare and /literal/ patterns against the stringified value, case-sensitively', () => {
    expect(compareFact('CentOS', '=~', 'Cent')).toBe(true);
    expect(compareFact('CentOS', '=~', '/^Cent/')).toBe(true);
    expect(compareFact('CentOS', '=~', '/^cent/')).toBe(false);
    expect(compareFact('CentOS', '=~', '/^cent/i')).toBe(true);
    expect(compareFact(8, '=~', '^\\d$')).toBe(true);
  });

  it('throws FilterError for an invalid pattern', () => {
    expect(() => compareFact('x', '=~', '(')).toThrow(FilterError);
  });
});

describe('compareFact missing, array and object facts', () => {
  it('fails every operator for a missing fact, != included', () => {
    for (const op of ['==', '!=', '<', '>', '<=', '>=', '=~'] as const) {
      expect(compareFact(undefined, op, 'x')).toBe(false);
      expect(compareFact(null, op, 'x')).toBe(false);
    }
  });

  it('matches an array when any element matches', () => {
    expect(compareFact(['a', 'b'], '==', 'b')).toBe(true);
    expect(compareFact(['a', 'b'], '==', 'c')).toBe(false);
    expect(compareFact([1, 16], '>', '8')).toBe(true);
    expect(compareFact([1, 2], '>', '8')).toBe(false);
    expect(compareFact(['eth0', 'lo'], '=~', '^eth')).toBe(true);
    expect(compareFact([['nested', 'x']], '==', 'x')).toBe(true);
  });

  it('applies any-element semantics to != as well', () => {
    expect(compareFact(['a', 'b'], '!=', 'a')).toBe(true);
    expect(compareFact(['a', 'a'], '!=', 'a')).toBe(false);
    expect(compareFact([], '!=', 'a')).toBe(false);
  });

  it('matches an object when any of its keys matches, for every operator (as MCollective)', () => {
    const mounts = { '/var': 'xfs', '/': 'ext4' };
    expect(compareFact(mounts, '==', '/var')).toBe(true);
    expect(compareFact(mounts, '==', 'xfs')).toBe(false);
    expect(compareFact(mounts, '=~', '^/v')).toBe(true);
    expect(compareFact(mounts, '!=', '/var')).toBe(true);
    expect(compareFact({ '/var': 'xfs' }, '!=', '/var')).toBe(false);
    expect(compareFact({ 10: 'a', 2: 'b' }, '>', '9')).toBe(true);
    expect(compareFact({}, '!=', 'x')).toBe(false);
    expect(compareFact([{ eth0: {} }, { lo: {} }], '==', 'lo')).toBe(true);
  });

  it("does not look at an object fact's JSON text or values", () => {
    const os = { name: 'RedHat', release: { major: '8' } };
    expect(compareFact(os, '=~', '"major":"8"')).toBe(false);
    expect(compareFact(os, '==', JSON.stringify(os))).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(compareFact(cyclic, '=~', '^self$')).toBe(true);
  });
});

describe('lookupFact', () => {
  const facts = {
    kernel: 'Linux',
    os: { family: 'RedHat', release: { major: '8' } },
    'os.family': 'literal wins',
    disks: [{ name: 'sda' }, { name: 'sdb' }],
    cpus: 0,
  };

  it('finds top-level and nested facts', () => {
    expect(lookupFact(facts, 'kernel')).toBe('Linux');
    expect(lookupFact(facts, 'os.release.major')).toBe('8');
    expect(lookupFact(facts, 'cpus')).toBe(0);
  });

  it('prefers a top-level key containing dots', () => {
    expect(lookupFact(facts, 'os.family')).toBe('literal wins');
    expect(lookupFact({ os: { family: 'RedHat' } }, 'os.family')).toBe('RedHat');
  });

  it('indexes arrays by number', () => {
    expect(lookupFact(facts, 'disks.1.name')).toBe('sdb');
    expect(lookupFact(facts, 'disks.x')).toBeUndefined();
    expect(lookupFact(facts, 'disks.5.name')).toBeUndefined();
  });

  it('returns undefined for missing paths and never reaches inherited properties', () => {
    expect(lookupFact(facts, 'nope')).toBeUndefined();
    expect(lookupFact(facts, 'kernel.length')).toBeUndefined();
    expect(lookupFact(facts, 'os.release.minor')).toBeUndefined();
    expect(lookupFact(facts, 'constructor')).toBeUndefined();
    expect(lookupFact(facts, '__proto__')).toBeUndefined();
    expect(lookupFact(facts, 'os.constructor.name')).toBeUndefined();
  });
});
