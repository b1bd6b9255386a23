// What `resource` lets through before Puppet runs: type and name spelling, symbolic links, parameter allow-lists
// and values. The attacks themselves, against a real daemon and real Puppet, are in
// test/integration/puppet/resource-hardening.test.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkResourceAllowed, puppetErrors } from '../../../src/plugins/agents/puppet/resource.js';
import { canonicalName, canonicalPath, canonicalType, resolvedForms } from '../../../src/plugins/agents/puppet/resource-names.js';
import { BUILTIN_ALLOWED_PARAMS, checkParams } from '../../../src/plugins/agents/puppet/resource-params.js';
import { DEFAULTS, parseSettings } from '../../../src/plugins/agents/puppet/settings.js';
import { managedTitles } from '../../../src/plugins/agents/puppet/summary.js';

const settings = (raw: Record<string, string>) => parseSettings(raw).resource;
const builtin = parseSettings({}).resource.allowParams;

describe('resource type and name spelling', () => {
  it('has one spelling per type and refuses what is not a type name', () => {
    expect(canonicalType('File')).toBe('file');
    expect(canonicalType('Apt::Source')).toBe('apt::source');
    for (const bad of ['file ', ' file', 'file\n', '::file', 'file[x]', '', 'fi le'])
      expect(() => canonicalType(bad), bad).toThrow(/Invalid resource type/);
  });

  it('writes paths canonically and refuses relative ones, .. and control characters', () => {
    expect(canonicalPath('/a/./b')).toBe('/a/b');
    expect(canonicalPath('/a//b')).toBe('/a/b');
    expect(canonicalPath('//a/b///')).toBe('/a/b');
    expect(canonicalPath('/')).toBe('/');
    expect(() => canonicalPath('a/b')).toThrow('The a/b name must be an absolute path');
    expect(() => canonicalPath('/a/../b')).toThrow("may not contain '..'");
    expect(() => canonicalPath('/a/b/..')).toThrow("may not contain '..'");
    expect(canonicalPath('/a/..b/c..')).toBe('/a/..b/c..');
    for (const bad of ['/a\0b', '/a\nb', '/a\rb', '/a\tb']) expect(() => canonicalPath(bad)).toThrow(/control characters/);
  });

  it('treats file and tidy titles as paths, and any other title starting with /', () => {
    expect(() => canonicalName('file', 'motd')).toThrow('must be an absolute path');
    expect(() => canonicalName('tidy', 'tmp')).toThrow('must be an absolute path');
    expect(canonicalName('mount', '/srv//data/')).toBe('/srv/data');
    expect(canonicalName('service', 'getty@tty1.service')).toBe('getty@tty1.service');
  });

  it('refuses other names a provider could read as an option, or that differ by blanks', () => {
    for (const bad of ['-oAPT::Update::Pre-Invoke::=id', ' ntp', 'ntp ', '', 'a\nb', 'a\0b']) {
      expect(() => canonicalName('package', bad), JSON.stringify(bad)).toThrow(/resource name/);
    }
    expect(canonicalName('package', 'libc6:amd64')).toBe('libc6:amd64');
  });

  it('reads managed titles of one type from resources.txt', () => {
    expect(managedTitles('file[/a//b]\nfile[/c]\nservice[ntp]\nfile_line[x]\n', 'File')).toEqual(['/a//b', '/c']);
    expect(managedTitles(undefined, 'file')).toEqual([]);
  });
});

describe('resource names through symbolic links', () => {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-resource-names-'));
  const real = join(dir, 'real');
  mkdirSync(join(real, 'sub'), { recursive: true });
  writeFileSync(join(real, 'file'), 'x');
  symlinkSync(real, join(dir, 'door'));
  symlinkSync(join(real, 'file'), join(dir, 'filelink'));
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves the parent directory, also where the rest does not exist yet', async () => {
    expect(await resolvedForms(join(dir, 'door', 'file'))).toEqual([join(real, 'file')]);
    expect(await resolvedForms(join(dir, 'door', 'new', 'deeper', 'file'))).toEqual([join(real, 'new', 'deeper', 'file')]);
    expect(await resolvedForms(join(real, 'file'))).toEqual([]);
    expect(await resolvedForms('/')).toEqual([]);
  });

  it('adds where a symbolic link at the name itself leads', async () => {
    expect(await resolvedForms(join(dir, 'filelink'))).toEqual([join(real, 'file')]);
  });

  it('refuses names that cannot be resolved', async () => {
    await expect(resolvedForms(join(dir, 'loop', 'x'))).rejects.toThrow(/could not be resolved: ELOOP/);
  });

  it('refuses through the blacklist when any form is listed, and needs every form on the whitelist', async () => {
    const name = join(dir, 'door', 'file');
    const resolved = await resolvedForms(name);
    const denied = settings({ resource_type_whitelist: 'file', 'resource_name_blacklist.file': join(real, 'file') });
    expect(() => checkResourceAllowed(denied, 'file', name, resolved)).toThrow(
      `The ${name} name resolves to ${join(real, 'file')}, which is listed in the name blacklist`,
    );
    const listed = settings({ resource_type_whitelist: 'file', 'resource_name_whitelist.file': name });
    expect(() => checkResourceAllowed(listed, 'file', name, resolved)).toThrow(
      `The ${name} name resolves to ${join(real, 'file')}, which is not listed in the name whitelist`,
    );
    const both = settings({ resource_type_whitelist: 'file', 'resource_name_whitelist.file': `${name}, ${join(real, 'file')}` });
    expect(() => checkResourceAllowed(both, 'file', name, resolved)).not.toThrow();
  });
});

describe('resource name lists', () => {
  const denied = settings({
    resource_type_whitelist: 'file,service',
    'resource_name_blacklist.file': '/etc//ssl/, /root',
    'resource_name_blacklist.service': 'sshd',
  });

  it('compare blacklisted paths canonically, covering what lies beneath them, whatever the case', () => {
    expect(() => checkResourceAllowed(denied, 'file', '/etc/ssl')).toThrow('The /etc/ssl name is listed in the name blacklist');
    expect(() => checkResourceAllowed(denied, 'file', '/etc/ssl/private/key.pem')).toThrow(
      'The /etc/ssl/private/key.pem name is beneath /etc/ssl, which is listed in the name blacklist',
    );
    expect(() => checkResourceAllowed(denied, 'file', '/ROOT/.ssh/authorized_keys')).toThrow(/beneath \/root/);
    expect(() => checkResourceAllowed(denied, 'file', '/etc/sslx')).not.toThrow();
    expect(() => checkResourceAllowed(denied, 'service', 'SSHD')).toThrow('The SSHD name is listed in the name blacklist');
    expect(() =>
      checkResourceAllowed(settings({ resource_type_whitelist: 'file', 'resource_name_blacklist.file': '/' }), 'file', '/tmp/x'),
    ).toThrow(/beneath \//);
  });

  it('compare whitelisted paths canonically and exactly', () => {
    const named = settings({ resource_type_whitelist: 'file', 'resource_name_whitelist.file': '/srv//app/motd' });
    expect(() => checkResourceAllowed(named, 'file', '/srv/app/motd')).not.toThrow();
    expect(() => checkResourceAllowed(named, 'file', '/srv/app/motd/x')).toThrow('not listed in the name whitelist');
  });

  it('never allow exec or class, whatever the type lists say, and never look at Object.prototype', () => {
    expect(() => checkResourceAllowed(settings({ resource_type_whitelist: 'exec' }), 'exec', '/bin/true')).toThrow(
      'The exec type runs commands and is never allowed',
    );
    expect(() => checkResourceAllowed(settings({ resource_type_blacklist: 'file' }), 'class', 'apache')).toThrow(
      'The class type evaluates Puppet code from the modules and is never allowed',
    );
    expect(() => checkResourceAllowed(settings({ resource_type_blacklist: 'file' }), 'constructor', 'x')).not.toThrow();
    expect(() => checkParams('constructor', {}, builtin)).toThrow('The constructor type has no parameter allow-list');
  });
});

describe('resource parameters', () => {
  it('default to lists without commands, fetching, recursion, renaming or install options', () => {
    expect(BUILTIN_ALLOWED_PARAMS).toEqual({
      file: ['ensure', 'owner', 'group', 'mode', 'content'],
      package: ['ensure'],
      service: ['ensure', 'enable'],
    });
    expect(DEFAULTS['resource_allow_params.file']).toBe(BUILTIN_ALLOWED_PARAMS['file']);
    expect(() =>
      checkParams('file', { ensure: 'file', owner: 'root', group: 0, mode: '0640', content: 'hello\n\tworld\r\n' }, builtin),
    ).not.toThrow();
    for (const param of ['validate_cmd', 'source', 'recurse', 'purge', 'force', 'backup', 'path', 'links', 'target', 'replace']) {
      expect(() => checkParams('file', { [param]: 'x' }, builtin), param).toThrow(
        `The file parameter '${param}' is not allowed: plugin.puppet.resource_allow_params.file allows only ensure, owner, group, mode, content`,
      );
    }
    for (const param of ['source', 'install_options', 'provider', 'responsefile', 'adminfile'])
      expect(() => checkParams('package', { [param]: 'x' }, builtin)).toThrow(/is not allowed/);
    for (const param of ['start', 'stop', 'restart', 'status', 'binary', 'provider'])
      expect(() => checkParams('service', { [param]: '/bin/sh' }, builtin)).toThrow(/is not allowed/);
  });

  it('never allow metaparameters', () => {
    for (const meta of [
      'alias',
      'audit',
      'before',
      'consume',
      'export',
      'loglevel',
      'noop',
      'notify',
      'require',
      'schedule',
      'stage',
      'subscribe',
      'tag',
    ]) {
      expect(() => checkParams('file', { [meta]: 'x' }, builtin), meta).toThrow(
        `The parameter '${meta}' is a metaparameter, which resource never allows`,
      );
    }
  });

  it('refuse types with no allow-list, even asked with no parameters', () => {
    expect(() => checkParams('tidy', {}, builtin)).toThrow(
      'The tidy type has no parameter allow-list: plugin.puppet.resource_allow_params.tidy must name the parameters it may take (empty for none)',
    );
    const configured = parseSettings({ 'resource_allow_params.tidy': '', 'resource_allow_params.User': 'ensure, shell' }).resource
      .allowParams;
    expect(() => checkParams('tidy', {}, configured)).not.toThrow();
    expect(() => checkParams('tidy', { age: '1d' }, configured)).toThrow(
      "The tidy parameter 'age' is not allowed: plugin.puppet.resource_allow_params.tidy allows none",
    );
    expect(() => checkParams('user', { shell: '/bin/sh' }, configured)).not.toThrow();
    expect(configured['file']).toEqual(BUILTIN_ALLOWED_PARAMS['file']);
  });

  it('let configuration change a list, but never to metaparameters or renaming parameters', () => {
    const narrowed = parseSettings({ 'resource_allow_params.file': 'content' }).resource.allowParams;
    expect(() => checkParams('file', { mode: '0600' }, narrowed)).toThrow('plugin.puppet.resource_allow_params.file allows only content');
    expect(() => parseSettings({ 'resource_allow_params.file': 'ensure, notify' })).toThrow(
      "plugin.puppet.resource_allow_params.file may not list 'notify': it is a metaparameter",
    );
    expect(() => parseSettings({ 'resource_allow_params.file': 'path' })).toThrow(
      "plugin.puppet.resource_allow_params.file may not list 'path': it renames the resource",
    );
    expect(() => parseSettings({ 'resource_allow_params.service': 'name' })).toThrow(/may not list 'name': it renames the resource/);
    expect(() => parseSettings({ 'resource_allow_params.file': 'a=>1' })).toThrow(/it is not a parameter name/);
  });

  it('refuse values that would reach further than the parameter says', () => {
    const refused: Array<[string, Record<string, unknown>, RegExp]> = [
      ['file', { ensure: '/etc/shadow' }, /ensure parameter must be one of present, absent, file, directory, link/],
      ['file', { mode: '4755' }, /setuid or setgid/],
      ['file', { mode: '2755' }, /setuid or setgid/],
      ['file', { mode: 6755 }, /setuid or setgid/],
      ['file', { mode: 'u+s' }, /setuid or setgid/],
      ['file', { mode: 'g=rws' }, /setuid or setgid/],
      ['file', { content: '{sha256}fb428d788e6efaec29dc4a9b3d0b3cf3d2295eb7ffc30f111ac11c4af1dfc118' }, /may not be a checksum/],
      ['file', { content: 'a\0b' }, /may not contain NUL/],
      ['file', { owner: '-r' }, /must be a user or group name/],
      ['file', { ensure: ['file', 'directory'] }, /takes one value, not a list/],
      ['file', { group: 'wheel\n' }, /control characters/],
      ['package', { ensure: '-oDpkg::Pre-Invoke::=id' }, /must be one of present, installed, absent, purged, latest or a version/],
      ['package', { ensure: '/tmp/evil.deb' }, /or a version/],
      ['service', { ensure: 'restarted' }, /must be one of running, stopped, true, false/],
      ['service', { enable: 'yes' }, /must be one of true, false, manual, mask, delayed/],
    ];
    for (const [type, params, message] of refused)
      expect(() => checkParams(type, params, builtin), JSON.stringify(params)).toThrow(message);
    for (const mode of ['0644', '644', '1777', 'u=rw,go=r', 'a+X'])
      expect(() => checkParams('file', { mode }, builtin), mode).not.toThrow();
    for (const ensure of ['present', 'latest', '1.2.3-1+deb12u1', '2:9.0.1378-2'])
      expect(() => checkParams('package', { ensure }, builtin), ensure).not.toThrow();
  });
});

describe("a failed resource's error", () => {
  it("is Puppet's own Error: lines, without Facter's, distinct, few and short", () => {
    const facter = 'Error: Facter: Permission denied @ rb_sysopen - /proc/1/environ\n'.repeat(20);
    const output = `${facter}Notice: Compiled catalog\nError: Parameter mode failed on File[/x]: The file mode specification is invalid\n`;
    expect(puppetErrors(output)).toEqual(['Parameter mode failed on File[/x]: The file mode specification is invalid']);
    const many = Array.from({ length: 10 }, (_, i) => `Error: failure ${i} ${'x'.repeat(1000)}`).join('\n');
    const bounded = puppetErrors(`${many}\n${many}`);
    expect(bounded).toHaveLength(3);
    for (const line of bounded) expect(line.length).toBeLessThanOrEqual(400);
    expect(puppetErrors('Notice: all fine\n')).toEqual([]);
  });
});
