import { describe, expect, it } from 'vitest';
import { buildFilter, emptyFilter, FilterError, parseWith } from '../../../src/filter/index.js';
import { errorOf } from './error-of.js';


describe('parseWith', () => {
  it('makes fact filters of comparisons and classes of everything else', () => {
    expect(parseWith('apache country=uk cpus>=4 /^base/')).toEqual({
      fact: [
        { fact: 'country', operator: '==', value: 'uk' },
        { fact: 'cpus', operator: '>=', value: '4' },
      ],
      cf_class: ['apache', '/^base/'],
    });
  });

  it('keeps a regex containing = as a class', () => {
    expect(parseWith('/a=b/')).toEqual({ fact: [], cf_class: ['/a=b/'] });
  });

  it('splits on tabs and keeps quoted blanks inside one word', () => {
    expect(parseWith("ntp\tmotd='hello world'  base")).toEqual({
      fact: [{ fact: 'motd', operator: '==', value: 'hello world' }],
      cf_class: ['ntp', 'base'],
    });
  });

  it('reports errors at their position in the whole -W text', () => {
    const e = errorOf(() => parseWith('apache cpus>='));
    expect(e.code).toBe('FILTER_EMPTY_VALUE');
    expect(e.position).toBe(13);
    expect(e.source).toBe('apache cpus>=');

    const q = errorOf(() => parseWith("apache motd='hi there"));
    expect(q.code).toBe('FILTER_UNTERMINATED_QUOTE');
    expect(q.position).toBe(12);

    const r = errorOf(() => parseWith('apache /(/'));
    expect(r.code).toBe('FILTER_BAD_REGEX');
    expect(r.position).toBe(8);

    expect(errorOf(() => parseWith(' \t')).code).toBe('FILTER_EMPTY');
  });
});

describe('buildFilter', () => {
  it('returns an empty filter when given nothing', () => {
    expect(buildFilter({})).toEqual(emptyFilter());
  });

  it('collects every option into the wire model', () => {
    const f = buildFilter({
      facts: ['country=uk', 'cpus >= 4'],
      classes: ['apache', '/^base/'],
      identities: ['web1', '/^db/'],
      agents: ['puppet'],
      selects: ['ntp or not apache'],
      withs: ['nginx os=linux'],
    });
    expect(f).toEqual({
      fact: [
        { fact: 'country', operator: '==', value: 'uk' },
        { fact: 'cpus', operator: '>=', value: '4' },
        { fact: 'os', operator: '==', value: 'linux' },
      ],
      cf_class: ['apache', '/^base/', 'nginx'],
      agent: ['puppet'],
      identity: ['web1', '/^db/'],
      compound: ['ntp or not apache'],
    });
  });

  it('trims names and drops duplicates', () => {
    const f = buildFilter({ classes: [' apache ', 'apache'], withs: ['apache'], facts: ['a=1', 'a = 1'] });
    expect(f.cf_class).toEqual(['apache']);
    expect(f.fact).toEqual([{ fact: 'a', operator: '==', value: '1' }]);
  });

  it('names the option an error came from', () => {
    const cases: Array<[Parameters<typeof buildFilter>[0], string, string, number]> = [
      [{ facts: ['=x'] }, '-F', 'FILTER_EMPTY_FACT_NAME', 0],
      [{ classes: ['/(/'] }, '-C', 'FILTER_BAD_REGEX', 1],
      [{ identities: ['  /[/'] }, '-I', 'FILTER_BAD_REGEX', 3],
      [{ agents: [''] }, '-A', 'FILTER_EMPTY', 0],
      [{ selects: ['a and'] }, '-S', 'FILTER_DANGLING_OPERATOR', 2],
      [{ withs: ['a b<'] }, '-W', 'FILTER_EMPTY_VALUE', 4],
    ];
    for (const [opts, option, code, position] of cases) {
      const e = errorOf(() => buildFilter(opts));
      expect([e.option, e.code, e.position]).toEqual([option, code, position]);
    }
  });

  it('keeps -S as source text so nodes parse it themselves', () => {
    expect(buildFilter({ selects: ['a  AND  b'] }).compound).toEqual(['a  AND  b']);
  });
});
