import { describe, expect, it } from 'vitest';
import {
  buildFilter,
  compileFilter,
  emptyFilter,
  FilterError,
  MAX_ENTRIES,
  parseWith,
  plainIdentities,
} from '../../../src/filter/index.js';
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

describe('buildFilter: what nodes decide to execute', () => {
  const node = {
    identity: 'db01.example.net',
    facts: { role: 'db', cpus: '16' },
    classes: ['nginx::server'],
    agents: ['rpcutil', 'puppet'],
  };
  const selects = (opts: Parameters<typeof buildFilter>[0]) => compileFilter(buildFilter(opts))(node);

  it('reads a name starting with / as a regex in -I, -C, -A, -W and -S, closing slash or not', () => {
    expect(selects({ identities: ['/^db0'] })).toBe(true);
    expect(selects({ identities: ['/^web0'] })).toBe(false);
    expect(selects({ classes: ['/^nginx::'] })).toBe(true);
    expect(selects({ agents: ['/^pupp'] })).toBe(true);
    expect(selects({ withs: ['/^nginx::'] })).toBe(true);
    expect(selects({ selects: ['/^nginx:: and role=db'] })).toBe(true);
    // Sent as written, so the nodes read it the same way; and never taken for an identity to address directly.
    expect(buildFilter({ identities: ['/^db0'] }).identity).toEqual(['/^db0']);
    expect(plainIdentities(buildFilter({ identities: ['/^db0'] }))).toBeNull();
  });

  it('matches every node with -A mcollective, as MCollective does', () => {
    expect(selects({ agents: ['mcollective'] })).toBe(true);
    expect(selects({ agents: ['mcollective', 'puppet'] })).toBe(true);
    expect(selects({ agents: ['mcollective', 'nosuch'] })).toBe(false);
  });

  it('refuses more entries of one kind than a node accepts, counting distinct entries', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `node${i}`);
    expect(buildFilter({ identities: ids(MAX_ENTRIES) }).identity).toHaveLength(MAX_ENTRIES);
    expect(buildFilter({ identities: [...ids(MAX_ENTRIES), 'node0'] }).identity).toHaveLength(MAX_ENTRIES);
    const e = errorOf(() => buildFilter({ identities: ids(MAX_ENTRIES + 1) }));
    expect(e.code).toBe('FILTER_TOO_MANY');
    expect(e.message).toBe(`${MAX_ENTRIES + 1} distinct identity filters (-I); a node accepts at most ${MAX_ENTRIES} of each kind`);
    const classes = errorOf(() =>
      buildFilter({
        classes: ids(200),
        withs: [
          ids(100)
            .map((c) => `w${c}`)
            .join(' '),
        ],
      }),
    );
    expect(classes.message).toContain('300 distinct class filters (-C and -W)');
    expect(errorOf(() => buildFilter({ facts: ids(300).map((f) => `${f}=1`) })).code).toBe('FILTER_TOO_MANY');
  });

  it('refuses an ordering operator with a /regex/ value instead of comparing its text', () => {
    const e = errorOf(() => buildFilter({ facts: ['cpus>/^1/'] }));
    expect([e.option, e.code, e.position]).toEqual(['-F', 'FILTER_REGEX_WITH_ORDERING', 5]);
    expect(e.message).toContain("'>' compares values in order");
    expect(errorOf(() => buildFilter({ selects: ['cpus>=/^1/'] })).code).toBe('FILTER_REGEX_WITH_ORDERING');
    expect(errorOf(() => buildFilter({ withs: ['cpus</1/i'] })).code).toBe('FILTER_REGEX_WITH_ORDERING');
    // Quoted, the value is text and compares as such.
    expect(buildFilter({ facts: ["cpus>'/^1/'"] }).fact).toEqual([{ fact: 'cpus', operator: '>', value: '/^1/' }]);
  });

  it('refuses control characters in every option, and its message stays on one line', () => {
    const cases: Array<[Parameters<typeof buildFilter>[0], string, number]> = [
      [{ facts: ['role=web\nx'] }, '-F', 8],
      [{ identities: ['db01\n'] }, '-I', 4],
      [{ classes: ['nginx\r'] }, '-C', 5],
      [{ agents: ['pup\u0000pet'] }, '-A', 3],
      [{ withs: ['nginx role=web\n'] }, '-W', 14],
      [{ selects: ['role=web\nand x'] }, '-S', 8],
    ];
    for (const [opts, option, position] of cases) {
      const e = errorOf(() => buildFilter(opts));
      expect([e.option, e.code, e.position], JSON.stringify(opts)).toEqual([option, 'FILTER_CONTROL_CHARACTER', position]);
      const lines = e.format().split('\n');
      expect(lines, JSON.stringify(opts)).toHaveLength(3);
      expect(lines[1]!.indexOf('^')).toBe(position);
    }
    expect(errorOf(() => buildFilter({ facts: ['role=web\nx'] })).message).toBe('newline (U+000A) is not allowed in a filter');
    // Tabs are blanks.
    expect(buildFilter({ facts: ['role\t=\tweb'] }).fact).toEqual([{ fact: 'role', operator: '==', value: 'web' }]);
  });

  it('never prints a raw control character from a message, even one quoting wire text', () => {
    const e = errorOf(() => compileFilter({ ...emptyFilter(), fact: [{ fact: 'a\nb', operator: '==', value: 'x' }] }));
    expect(e.message).toBe('unexpected newline (U+000A) in fact name');
    const raw = new FilterError('FILTER_BAD_REGEX', 'bad\nthing', 'abc', 1).format();
    expect(raw.split('\n')).toHaveLength(3);
    expect(raw).toContain('bad\\u000athing');
  });
});
