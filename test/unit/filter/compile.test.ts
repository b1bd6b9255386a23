import { beforeEach, describe, expect, it } from 'vitest';
import {
  clearFilterCache,
  compileFilter,
  emptyFilter,
  FILTER_CACHE_LIMIT,
  filterCacheSize,
  FilterError,
  isEmptyFilter,
  matchesFilter,
  type Filter,
  type NodeView,
} from '../../../src/filter/index.js';

const web1: NodeView = {
  identity: 'web1.example.com',
  facts: { country: 'uk', cpus: 8, os: { family: 'RedHat' }, roles: ['web', 'cache'] },
  classes: ['apache', 'base'],
  agents: ['rpcutil', 'puppet'],
};
const db1: NodeView = {
  identity: 'db1.example.com',
  facts: { country: 'de', cpus: 2, os: { family: 'Debian' } },
  classes: ['postgres', 'base'],
  agents: ['rpcutil'],
};

const filter = (part: Partial<Filter>): Filter => ({ ...emptyFilter(), ...part });

beforeEach(() => clearFilterCache());

describe('matchesFilter', () => {
  it('matches every node with an empty filter', () => {
    expect(isEmptyFilter(emptyFilter())).toBe(true);
    expect(isEmptyFilter(filter({ agent: ['x'] }))).toBe(false);
    expect(matchesFilter(emptyFilter(), web1)).toBe(true);
    expect(matchesFilter(emptyFilter(), db1)).toBe(true);
  });

  it('ORs identities', () => {
    const f = filter({ identity: ['web1.example.com', '/^db/'] });
    expect(matchesFilter(f, web1)).toBe(true);
    expect(matchesFilter(f, db1)).toBe(true);
    expect(matchesFilter(filter({ identity: ['web1'] }), web1)).toBe(false);
  });

  it('ANDs classes, agents and facts', () => {
    expect(matchesFilter(filter({ cf_class: ['apache', 'base'] }), web1)).toBe(true);
    expect(matchesFilter(filter({ cf_class: ['apache', 'postgres'] }), web1)).toBe(false);
    expect(matchesFilter(filter({ agent: ['rpcutil', 'puppet'] }), db1)).toBe(false);
    expect(matchesFilter(filter({ agent: ['/^pup/'] }), web1)).toBe(true);
    const facts = filter({
      fact: [
        { fact: 'country', operator: '==', value: 'uk' },
        { fact: 'cpus', operator: '>=', value: '4' },
      ],
    });
    expect(matchesFilter(facts, web1)).toBe(true);
    expect(matchesFilter(facts, db1)).toBe(false);
  });

  it('ANDs the different kinds together', () => {
    const f = filter({ identity: ['/example/'], cf_class: ['base'], fact: [{ fact: 'cpus', operator: '<', value: '4' }] });
    expect(matchesFilter(f, web1)).toBe(false);
    expect(matchesFilter(f, db1)).toBe(true);
  });

  it('ANDs compound expressions and evaluates them per node', () => {
    const f = filter({ compound: ['apache or postgres', 'os.family=/^Red/'] });
    expect(matchesFilter(f, web1)).toBe(true);
    expect(matchesFilter(f, db1)).toBe(false);
  });

  it('reaches structured and array facts', () => {
    expect(matchesFilter(filter({ fact: [{ fact: 'os.family', operator: '==', value: 'Debian' }] }), db1)).toBe(true);
    expect(matchesFilter(filter({ fact: [{ fact: 'roles', operator: '==', value: 'cache' }] }), web1)).toBe(true);
    expect(matchesFilter(filter({ fact: [{ fact: 'roles', operator: '!=', value: 'x' }] }), db1)).toBe(false);
  });
});

describe('compileFilter on wire input', () => {
  it.each([
    [null, 'FILTER_INVALID_SHAPE'],
    [[], 'FILTER_INVALID_SHAPE'],
    [{ fact: [], cf_class: [], agent: [], identity: [] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), extra: [] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), agent: 'puppet' }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), agent: [42] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), agent: [''] }, 'FILTER_EMPTY'],
    [{ ...emptyFilter(), fact: [{ fact: 'a', operator: '=', value: '1' }] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), fact: [{ fact: 'a', operator: '==', value: 1 }] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), fact: [{ fact: 'a', operator: '==', value: '1', x: 1 }] }, 'FILTER_INVALID_SHAPE'],
    [{ ...emptyFilter(), fact: [{ fact: 'a b', operator: '==', value: '1' }] }, 'FILTER_BAD_FACT_NAME'],
    [{ ...emptyFilter(), fact: [{ fact: 'a', operator: '=~', value: '(' }] }, 'FILTER_BAD_REGEX'],
    [{ ...emptyFilter(), cf_class: ['/(/'] }, 'FILTER_BAD_REGEX'],
    [{ ...emptyFilter(), compound: ['a and'] }, 'FILTER_DANGLING_OPERATOR'],
    [{ ...emptyFilter(), identity: Array.from({ length: 257 }, (_, i) => `n${i}`) }, 'FILTER_INVALID_SHAPE'],
  ])('rejects %j with %s', (wire, code) => {
    let caught: unknown;
    try {
      compileFilter(wire as unknown as Filter);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FilterError);
    expect((caught as FilterError).code).toBe(code);
  });
});

describe('compiled filter cache', () => {
  it('compiles each distinct filter once, whatever object carries it', () => {
    const f = filter({ cf_class: ['apache'], fact: [{ fact: 'cpus', operator: '>', value: '2' }] });
    const first = compileFilter(f);
    expect(compileFilter(JSON.parse(JSON.stringify(f)) as Filter)).toBe(first);
    expect(compileFilter(filter({ cf_class: ['base'] }))).not.toBe(first);
    expect(filterCacheSize()).toBe(2);
  });

  it('evicts the least recently used filter beyond the limit', () => {
    // Each lookup brings a fresh object, as each decoded message does: only the keyed cache can answer.
    const first = () => filter({ identity: ['n0'] });
    const firstPredicate = compileFilter(first());
    const second = () => filter({ identity: ['n1'] });
    const secondPredicate = compileFilter(second());
    for (let i = 2; i < FILTER_CACHE_LIMIT; i++) compileFilter(filter({ identity: [`n${i}`] }));
    expect(filterCacheSize()).toBe(FILTER_CACHE_LIMIT);

    compileFilter(first()); // refreshes n0, so n1 is now the oldest
    compileFilter(filter({ identity: ['one-too-many'] }));
    expect(filterCacheSize()).toBe(FILTER_CACHE_LIMIT);
    expect(compileFilter(first())).toBe(firstPredicate);
    expect(compileFilter(second())).not.toBe(secondPredicate);
  });

  it('forgets filters remembered by object when the cache is cleared', () => {
    const f = filter({ cf_class: ['apache'] });
    const predicate = compileFilter(f);
    clearFilterCache();
    const rebuilt = compileFilter(f);
    expect(rebuilt).not.toBe(predicate);
    expect(compileFilter(f)).toBe(rebuilt);
    expect(filterCacheSize()).toBe(1);
  });

  it('does not cache filters that fail to compile', () => {
    expect(() => compileFilter(filter({ cf_class: ['/(/'] }))).toThrow(FilterError);
    expect(filterCacheSize()).toBe(0);
  });

  it('evaluates ten thousand simulated nodes quickly with one compilation', () => {
    const f = filter({ compound: ['(web or db) and cpus >= 4'], identity: ['/^node/'] });
    const nodes: NodeView[] = Array.from({ length: 10_000 }, (_, i) => ({
      identity: `node${i}`,
      facts: { cpus: i % 8 },
      classes: [i % 2 ? 'web' : 'db'],
      agents: [],
    }));
    const matched = nodes.filter((n) => matchesFilter(f, n)).length;
    expect(matched).toBe(5_000);
    expect(filterCacheSize()).toBe(1);
  });
});
