import { describe, expect, it } from 'vitest';
import { buildFilter, describeFilter, emptyFilter, parseCompound, parseFactFilter, plainIdentities } from '../../../src/filter/index.js';
import { errorOf } from './error-of.js';

describe('plainIdentities', () => {
  it('returns plain identities when nothing else constrains the request', () => {
    expect(plainIdentities(buildFilter({ identities: ['web1', 'web2'] }))).toEqual(['web1', 'web2']);
  });

  it('returns null for regex identities, other filters, or no identities', () => {
    expect(plainIdentities(buildFilter({ identities: ['web1', '/^db/'] }))).toBeNull();
    expect(plainIdentities(buildFilter({ identities: ['web1'], agents: ['puppet'] }))).toBeNull();
    expect(plainIdentities(buildFilter({ identities: ['web1'], selects: ['apache'] }))).toBeNull();
    expect(plainIdentities(emptyFilter())).toBeNull();
  });
});

describe('describeFilter', () => {
  it('says an empty filter matches every node', () => {
    expect(describeFilter(emptyFilter())).toBe('Matches every node (empty filter)');
  });

  it('lists each kind with how entries combine, and shows how -S was read', () => {
    const text = describeFilter(
      buildFilter({
        identities: ['web1'],
        classes: ['/^apache/'],
        facts: ["motd='hello world'", 'cpus=>4'],
        agents: ['puppet'],
        selects: ['a or b and not c'],
      }),
    );
    expect(text).toBe(
      [
        'Identity filters (any of):',
        '  web1',
        'Class filters (all of):',
        '  /^apache/',
        'Fact filters (all of):',
        "  motd == 'hello world'",
        '  cpus >= 4',
        'Agent filters (all of):',
        '  puppet',
        'Compound filters (all of):',
        '  a or b and not c',
        '    parsed as: a or (b and not c)',
      ].join('\n'),
    );
  });

  it('describes an invalid compound expression instead of throwing', () => {
    const text = describeFilter({ ...emptyFilter(), compound: ['a and'] });
    expect(text).toContain("invalid: 'and' has nothing on its right (at position 2)");
  });
});

describe('FilterError.format', () => {
  it('prints the source, a caret under the offending character and the message', () => {
    const e = errorOf(() => parseFactFilter('cpus >= '));
    expect(e.format()).toBe(['cpus >= ', '        ^', "missing value after '>='"].join('\n'));
  });

  it('keeps tabs so the caret lines up, and names the option', () => {
    const e = errorOf(() => buildFilter({ selects: ['a\tand\t(b'] }));
    expect(e.format()).toBe(['a\tand\t(b', ' \t   \t^', "-S: '(' is never closed"].join('\n'));
  });

  it('shows a window around the position for long sources', () => {
    const source = `${'a and '.repeat(80)}(b`;
    const e = errorOf(() => parseCompound(source));
    expect(e.position).toBe(source.length - 2);
    const [line, caret, message] = e.format().split('\n');
    expect(line!.length).toBeLessThan(80);
    expect(line!.startsWith('…')).toBe(true);
    expect(line!.endsWith('(b')).toBe(true);
    expect(line![caret!.indexOf('^')]).toBe('(');
    expect(message).toBe("'(' is never closed");
  });

  it('has a stable code and is an Error', () => {
    const e = errorOf(() => parseCompound('(a'));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('FilterError');
    expect(e.code).toBe('FILTER_UNBALANCED_PAREN');
  });
});
