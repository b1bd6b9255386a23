import { describe, expect, it } from 'vitest';
import { applySplayLimit, buildApplyOptions, buildRunOptions, parseServerAddress } from '../../../src/plugins/agents/puppet/run-options.js';
import { applyArgv, configVersionCommand, ONETIME_OPTIONS } from '../../../src/plugins/agents/puppet/runonce.js';
import { checkResourceAllowed, resourceManifest, resourceTitle } from '../../../src/plugins/agents/puppet/resource.js';
import { checkRevisionSyntax, refAllowed } from '../../../src/plugins/agents/puppet/git.js';
import { parseSettings } from '../../../src/plugins/agents/puppet/settings.js';
import { parsePuppetCommand, runonceData } from '../../../src/client/apps/puppet/command.js';

const defaults = parseSettings({});

describe('agent run options', () => {
  it('splays by default with the configured limit, as the anchors default command shows', () => {
    expect([...ONETIME_OPTIONS, ...buildRunOptions({}, defaults, false)].join(' ')).toBe(
      '--onetime --no-daemonize --color=false --show_diff --verbose --splay --splaylimit 30',
    );
  });

  it('never splays a forced run', () => {
    expect(buildRunOptions({ force: true }, defaults, false)).toEqual(['--no-splay']);
    expect(buildRunOptions({ force: true, splaylimit: 5 }, defaults, false)).toEqual(['--no-splay']);
  });

  it('keeps the anchors option order', () => {
    const s = parseSettings({ allow_server_override: 'true', splay: 'false' });
    expect(
      buildRunOptions(
        {
          tags: 'a, b::c',
          skip_tags: 'd',
          splaylimit: 9,
          noop: false,
          environment: 'dev',
          server: 'puppet.example.com:8141',
          ignoreschedules: true,
          use_cached_catalog: true,
        },
        s,
        false,
      ),
    ).toEqual([
      '--tags',
      'a,b::c',
      '--skip_tags',
      'd',
      '--no-splay',
      '--splaylimit',
      '9',
      '--no-noop',
      '--environment',
      'dev',
      '--server',
      'puppet.example.com',
      '--masterport',
      '8141',
      '--ignoreschedules',
      '--use_cached_catalog',
    ]);
  });

  it('adds no splay options to a daemon signal', () => {
    expect(buildRunOptions({ splay: true }, defaults, true)).toEqual([]);
    expect(buildRunOptions({ noop: true }, defaults, true)).toEqual(['--noop']);
  });

  it('refuses a server unless the node allows it, and checks the address', () => {
    expect(() => buildRunOptions({ server: 'p' }, defaults, false)).toThrow(
      "Passing 'server' option is not allowed in module configuration",
    );
    expect(parseServerAddress('[::1]:8140')).toEqual({ host: '::1', port: '8140' });
    expect(parseServerAddress('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(parseServerAddress('10.0.0.1')).toEqual({ host: '10.0.0.1' });
    expect(() => parseServerAddress('-bad-.example')).toThrow("The hostname '-bad-.example' is not a valid hostname");
    expect(() => parseServerAddress('puppet:http')).toThrow("The port 'http' is not a valid puppet master port");
  });
});

describe('masterless run options', () => {
  const s = parseSettings({ mode: 'apply', codedir: '/srv/code', modulepath: 'modules:/opt/mods', config: '/n/puppet.conf' });

  it('apply the manifest from the code directory and record the commit as config_version', () => {
    expect(applyArgv({ noop: true, tags: 'x' }, s)).toEqual([
      'puppet',
      'apply',
      '--config',
      '/n/puppet.conf',
      '--color=false',
      '--show_diff',
      '--verbose',
      '--write-catalog-summary',
      '--config_version',
      'git -C /srv/code rev-parse HEAD',
      '--modulepath',
      '/srv/code/modules:/opt/mods',
      '--tags',
      'x',
      '--noop',
      '/srv/code/manifests/site.pp',
    ]);
  });

  it('name a config_version command Ruby runs without a shell, or refuse the code directory', () => {
    expect(configVersionCommand('/srv/puppet-code/v1.2_x+y,z@host:1')).toBe('git -C /srv/puppet-code/v1.2_x+y,z@host:1 rev-parse HEAD');
    for (const dir of ["/srv/it's", '/srv/a b', '/srv/$(id)', '/srv/a;b', '/srv/a\nb', '/srv/*', '/srv/`x`', '/srv/#x', '/srv/~x']) {
      expect(() => configVersionCommand(dir), dir).toThrow(/may hold only letters, digits and/);
    }
  });

  it('refuse agent-only options and splay like the agent', () => {
    expect(() => buildApplyOptions({ server: 'p' })).toThrow("Passing 'server' has no meaning in masterless mode");
    expect(() => buildApplyOptions({ use_cached_catalog: false })).toThrow(/use_cached_catalog/);
    expect(applySplayLimit({}, s)).toBe(30);
    expect(applySplayLimit({ force: true }, s)).toBe(0);
    expect(applySplayLimit({ splay: false }, s)).toBe(0);
    expect(applySplayLimit({ splaylimit: 4 }, s)).toBe(4);
  });

  it('allow revisions by branch and tag patterns, and refuse option-like or ranged ones', () => {
    expect(refAllowed('main', ['main'])).toBe(true);
    expect(refAllowed('release/2024.1', ['release/*'])).toBe(true);
    expect(refAllowed('mainline', ['main'])).toBe(false);
    expect(refAllowed('v1.2', ['v*.*'])).toBe(true);
    for (const bad of ['-x', 'a..b', 'a//b', 'ref.lock', 'x/', 'a b'])
      expect(() => checkRevisionSyntax(bad), bad).toThrow(/Invalid revision/);
    expect(() => checkRevisionSyntax('0f3a9c1')).not.toThrow();
  });
});

describe('resource checks', () => {
  const settings = (raw: Record<string, string>) => parseSettings(raw).resource;

  it('deny everything by default', () => {
    expect(() => checkResourceAllowed(settings({}), 'file', '/tmp/x')).toThrow('The file type is not listed in the type whitelist');
    expect(() => checkResourceAllowed(settings({ resource_type_whitelist: 'none' }), 'none', 'x')).toThrow(
      /not listed in the type whitelist/,
    );
  });

  it('follow the type and name lists with the anchors messages', () => {
    expect(() => checkResourceAllowed(settings({ resource_type_whitelist: 'file', resource_type_blacklist: 'exec' }), 'file', 'x')).toThrow(
      'You cannot specify both puppet.resource_type_whitelist and puppet.resource_type_blacklist in the config file',
    );
    expect(() => checkResourceAllowed(settings({ resource_type_blacklist: 'exec' }), 'exec', 'x')).toThrow(
      'The exec type is listed in the type blacklist',
    );
    expect(() => checkResourceAllowed(settings({ resource_type_blacklist: 'exec' }), 'file', 'x')).not.toThrow();
    const named = settings({ resource_type_whitelist: 'file', 'resource_name_whitelist.file': '/tmp/ok' });
    expect(() => checkResourceAllowed(named, 'file', '/tmp/ok')).not.toThrow();
    expect(() => checkResourceAllowed(named, 'file', '/etc/passwd')).toThrow('The /etc/passwd name is not listed in the name whitelist');
    const denied = settings({ resource_type_whitelist: 'file', 'resource_name_blacklist.file': '/etc/passwd' });
    expect(() => checkResourceAllowed(denied, 'file', '/etc/passwd')).toThrow('The /etc/passwd name is listed in the name blacklist');
  });

  it('write one resource as Puppet code, quoting values so they stay values', () => {
    expect(resourceManifest({ type: 'file', name: "/tmp/it's", parameters: { ensure: 'file', content: "a\\b'; exec { 'x': }" } })).toBe(
      "file { '/tmp/it\\'s': ensure => 'file', content => 'a\\\\b\\'; exec { \\'x\\': }' }",
    );
    expect(resourceManifest({ type: 'package', name: 'vim', parameters: { ensure: ['a', 1] } })).toBe(
      "package { 'vim': ensure => ['a', '1'] }",
    );
    expect(() => resourceManifest({ type: 'file; exec', name: 'x', parameters: {} })).toThrow("Invalid resource type 'file; exec'");
    expect(() => resourceManifest({ type: 'file', name: 'x', parameters: { 'a=>1,b': 'x' } })).toThrow(/Invalid resource parameter/);
    expect(resourceTitle('apt::source', 'x')).toBe('Apt::Source[x]');
  });
});

describe('mco puppet arguments', () => {
  const parse = (args: string[], flags = {}) => parsePuppetCommand(args, flags);

  it('name the anchors errors', () => {
    expect(() => parse([])).toThrow('Please specify a command.');
    expect(() => parse(['reboot'])).toThrow('Action must be count, enable, disable, resource, runall, runonce, status or summary');
    expect(() => parse(['runonce'], { force: true, splay: true })).toThrow('Cannot set splay when forcing runs');
    expect(() => parse(['runonce'], { force: true, splay: false })).toThrow('Cannot set splay when forcing runs');
    expect(() => parse(['runonce'], { force: true, splaylimit: 3 })).toThrow('Cannot set splaylimit when forcing runs');
    expect(() => parse(['runall'])).toThrow('The runall command needs a concurrency limit');
    expect(() => parse(['runall', '0'])).toThrow('The concurrency for the runall command has to be greater than 0');
    expect(() => parse(['runall', 'many'])).toThrow(/has to be a whole number/);
    expect(() => parse(['resource'])).toThrow('The resource command needs a type to operate on');
    expect(() => parse(['resource', 'file'])).toThrow('The resource command needs a name to operate on');
    expect(() => parse(['resource', 'file', '/x', 'ensure'])).toThrow("Could not parse argument 'ensure'");
    expect(() => parse(['status', 'extra'])).toThrow(/takes no further arguments/);
    expect(() => parse(['status'], { noop: true })).toThrow(/only apply to the runonce and runall commands/);
    expect(() => parse(['runonce'], { rerun: 5 })).toThrow('--rerun only applies to the runall command');
  });

  it('turn flags into runonce inputs, tags joined', () => {
    expect(runonceData({ tags: ['a', 'b'], skip_tags: [], noop: false, use_cached_catalog: false, splaylimit: 5 })).toEqual({
      tags: 'a,b',
      noop: false,
      use_cached_catalog: false,
      splaylimit: 5,
    });
    expect(parse(['runonce'], { force: true, ignoreschedules: true, wait: true })).toEqual({
      action: 'runonce',
      data: { force: true, ignoreschedules: true },
      waitTimeoutMs: 600_000,
    });
  });

  it('read runall, disable and resource arguments', () => {
    expect(parse(['runall', '5'], { rerun: 3600, revision: 'main' })).toEqual({
      action: 'runall',
      concurrency: 5,
      rerunS: 3600,
      data: { revision: 'main', force: true },
    });
    expect(parse(['disable', 'maintenance window'])).toEqual({ action: 'disable', message: 'maintenance window' });
    expect(parse(['disable'])).toEqual({ action: 'disable' });
    expect(parse(['resource', 'file', '/tmp/x', 'ensure=file', 'content=a=b'])).toEqual({
      action: 'resource',
      data: { type: 'file', name: '/tmp/x', ensure: 'file', content: 'a=b' },
    });
  });
});
