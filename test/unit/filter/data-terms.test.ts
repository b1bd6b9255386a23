// Data plugin calls in -S: how they parse, where errors point, how they evaluate, and the check against DDLs.
import { describe, expect, it } from 'vitest';
import {
  checkDataTerms,
  compileFilter,
  dataCallsOf,
  emptyFilter,
  formatCompound,
  parseCompound,
  usesDataPlugins,
  type DataLookup,
  type NodeView,
} from '../../../src/filter/index.js';
import { DataDDLRepository } from '../../../src/ddl/index.js';
import { BUILTIN_DATA_DIR } from '../../../src/plugins/data/index.js';
import { errorOf } from './error-of.js';

const catalog = new DataDDLRepository([BUILTIN_DATA_DIR]).catalog();

describe('data calls: parsing', () => {
  it.each([
    ['puppet().enabled=false', 'puppet().enabled == false'],
    ['puppet().enabled=false and role=web', 'puppet().enabled == false and role == web'],
    ["fact('os.family').value=Debian", "fact('os.family').value == Debian"],
    ['fact("it\'s").value = x', 'fact("it\'s").value == x'],
    ['resource().failed>0', 'resource().failed > 0'],
    ["resource( 'file[/etc/motd]' ).managed = true", "resource('file[/etc/motd]').managed == true"],
    ["agent('puppet').version>=1.2", "agent('puppet').version >= 1.2"],
    ['not puppet().idling=true', 'not puppet().idling == true'],
    ['!puppet().applying=true', 'not puppet().applying == true'],
    ["fact('os.family').value=~/deb/i", "fact('os.family').value =~ /deb/i"],
    ["fact('os.family').value=/deb/", "fact('os.family').value =~ /deb/"],
    ["fact('x').value='a b'", "fact('x').value == 'a b'"],
    ['(puppet().enabled=true or puppet().applying=true) and base', '(puppet().enabled == true or puppet().applying == true) and base'],
  ])('%j reads as %j', (text, canonical) => {
    expect(formatCompound(parseCompound(text))).toBe(canonical);
  });

  it.each([
    ['puppet(.enabled=1', 'FILTER_BAD_DATA_CALL', 7],
    ["fact('x'", 'FILTER_BAD_DATA_CALL', 8],
    ["fact('x).value=1", 'FILTER_UNTERMINATED_QUOTE', 5],
    ['puppet().=1', 'FILTER_BAD_DATA_CALL', 9],
    ['puppet().enabled', 'FILTER_MISSING_OPERATOR', 16],
    ['puppet().enabled and x', 'FILTER_MISSING_OPERATOR', 17],
    ['puppet().enabled=', 'FILTER_EMPTY_VALUE', 17],
    ['puppet().lastrun>/1/', 'FILTER_REGEX_WITH_ORDERING', 17],
    ["fact('x').value=~/(/", 'FILTER_BAD_REGEX', 18],
    ['Puppet().enabled=true', 'FILTER_BAD_DATA_CALL', 0],
    ['a.b().x=1', 'FILTER_BAD_DATA_CALL', 0],
  ])('%j fails with %s at %i', (text, code, position) => {
    const e = errorOf(() => parseCompound(text));
    expect([e.code, e.position]).toEqual([code, position]);
  });

  it('lists the distinct calls of a filter, once each whatever the field', () => {
    const filter = {
      ...emptyFilter(),
      compound: ['puppet().enabled=true and puppet().idling=true', "fact('a').value=1 or fact('b').value=2"],
    };
    expect(dataCallsOf(filter)).toEqual([{ plugin: 'puppet' }, { plugin: 'fact', argument: 'a' }, { plugin: 'fact', argument: 'b' }]);
    expect(compileFilter(filter).dataCalls).toEqual(dataCallsOf(filter));
    expect(usesDataPlugins(filter)).toBe(true);
    expect(usesDataPlugins({ compound: ['role=web and (a or b)'] })).toBe(false);
  });
});

describe('data calls: checked against the DDLs, with carets under the offending characters', () => {
  const format = (text: string) => errorOf(() => checkDataTerms(text, catalog));

  it('an unknown plugin', () => {
    const e = format('role=web and pupet().enabled=false');
    expect(e.code).toBe('FILTER_UNKNOWN_DATA_PLUGIN');
    expect(e.format()).toBe(
      [
        'role=web and pupet().enabled=false',
        '             ^^^^^',
        "unknown data plugin 'pupet' (known: agent(), fact(), puppet(), resource())",
      ].join('\n'),
    );
  });

  it('an unknown field, listing the fields', () => {
    const e = format('puppet().enabld=false');
    expect(e.code).toBe('FILTER_UNKNOWN_DATA_FIELD');
    expect(e.format().split('\n').slice(0, 2)).toEqual(['puppet().enabld=false', '         ^^^^^^']);
    expect(e.message).toContain('(fields: applying, daemon_present, disable_message, enabled, idling, lastrun, since_lastrun, status)');
  });

  it('a missing field on a plugin with several', () => {
    const e = format('puppet()=true');
    expect([e.code, e.position]).toEqual(['FILTER_UNKNOWN_DATA_FIELD', 8]);
  });

  it.each([
    ["puppet('x').enabled=true", 'FILTER_BAD_DATA_ARGUMENT', 7, 'puppet() takes no argument'],
    ['fact().value=1', 'FILTER_BAD_DATA_ARGUMENT', 5, "fact() needs an argument: fact('...')"],
    ["fact('a b').value=1", 'FILTER_BAD_DATA_ARGUMENT', 6, "fact('a b'): does not match ^[A-Za-z0-9_.:-]+$"],
    ["resource('motd').managed=true", 'FILTER_BAD_DATA_ARGUMENT', 10, "resource('motd'): does not match ^[A-Za-z0-9_:]+\\[.+\\]$"],
    [`fact('${'a'.repeat(300)}').value=1`, 'FILTER_BAD_DATA_ARGUMENT', 6, `fact('${'a'.repeat(300)}'): longer than 256 characters`],
  ])('%j: %s at %i', (text, code, position, message) => {
    const e = format(text);
    expect([e.code, e.position, e.message]).toEqual([code, position, message]);
  });

  it('accepts what the DDLs declare', () => {
    for (const text of [
      'puppet().enabled=false and role=web',
      "fact('os.family').value=Debian",
      'resource().failed>0 or resource().failed_resources>0',
      "resource('file[/etc/motd]').managed=true",
      "agent('puppet').present=true",
    ])
      expect(() => checkDataTerms(text, catalog)).not.toThrow();
  });
});

describe('data calls: evaluation', () => {
  const view = (data?: DataLookup): NodeView => ({ identity: 'n1', facts: { role: 'web' }, classes: [], agents: [], data });
  const answers: Record<string, Record<string, unknown>> = {
    puppet: { enabled: false, idling: true, lastrun: 1700000000, since_lastrun: 90 },
    resource: { failed: 2, total: 10 },
    'fact:os.family': { exists: true, value: 'Debian' },
    'fact:ips': { exists: true, value: ['10.0.0.1', '192.168.1.1'] },
  };
  const lookup: DataLookup = (plugin, argument) => answers[argument === undefined ? plugin : `${plugin}:${argument}`];
  const matches = (text: string, data: DataLookup | null = lookup) =>
    compileFilter({ ...emptyFilter(), compound: [text] })(view(data ?? undefined));

  it.each([
    ['puppet().enabled=false', true],
    ['puppet().enabled=true', false],
    ['puppet().enabled!=true', true],
    ['puppet().enabled=false and role=web', true],
    ['puppet().enabled=false and role=db', false],
    ['resource().failed>0', true],
    ['resource().failed>=3', false],
    ['resource().total<=10', true],
    ['puppet().since_lastrun<3600', true],
    ["fact('os.family').value=Debian", true],
    ["fact('os.family').value=~/^deb/i", true],
    ["fact('os.family').value=RedHat", false],
    ["fact('ips').value=/^192\\./", true],
    ["fact('missing').value=x", false],
    ['puppet().disable_message=x', false],
  ])('%j is %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it('a call with no answer (unknown here, failed, too slow) makes its term false', () => {
    expect(matches('puppet().enabled=false', () => undefined)).toBe(false);
    expect(matches('puppet().enabled=false', null)).toBe(false);
    expect(matches('puppet().enabled!=true', () => undefined)).toBe(false);
  });

  it('a plugin with a single field may be compared without naming it', () => {
    expect(matches('solo()=1', () => ({ only: 1 }))).toBe(true);
    expect(matches('solo()=1', () => ({ one: 1, two: 1 }))).toBe(false);
  });

  it('inherited properties are not fields', () => {
    expect(matches('puppet().constructor=x')).toBe(false);
  });
});
