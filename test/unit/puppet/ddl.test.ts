import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aggregate, loadDDLFile, renderAggregate, validateInputs } from '../../../src/ddl/index.js';
import { KEY_SPECS } from '../../../src/config/keys.js';
import { DEFAULTS, parseSettings } from '../../../src/plugins/agents/puppet/settings.js';
import { puppetAgent } from '../../../src/plugins/agents/puppet/agent.js';
import { builtinAgents } from '../../../src/plugins/agents/index.js';

const ddl = loadDDLFile(fileURLToPath(new URL('../../../src/plugins/agents/puppet/puppet.ddl.json', import.meta.url)));

describe('puppet DDL', () => {
  it('declares the anchors actions, with a 20 second timeout', () => {
    expect(Object.keys(ddl.actions).sort()).toEqual(['disable', 'enable', 'last_run_summary', 'resource', 'runonce', 'status']);
    expect(ddl.metadata.timeout).toBe(20);
    expect(builtinAgents().map((a) => a.ddl.metadata.name)).toContain('puppet');
    expect(puppetAgent.ddl.metadata.name).toBe('puppet');
  });

  it('declares every runonce input, ignoreschedules and revision included, none required and none defaulted', () => {
    const inputs = ddl.actions.runonce!.input;
    expect(Object.keys(inputs).sort()).toEqual(
      [
        'environment',
        'force',
        'ignoreschedules',
        'noop',
        'revision',
        'server',
        'skip_tags',
        'splay',
        'splaylimit',
        'tags',
        'use_cached_catalog',
      ].sort(),
    );
    expect(inputs.ignoreschedules!.type).toBe('boolean');
    expect(inputs.revision!.type).toBe('string');
    expect(Object.values(inputs).every((i) => i.optional && i.default === undefined)).toBe(true);
    expect(validateInputs(ddl, 'runonce', {}).ok).toBe(true);
  });

  it('validates tags, environment, splaylimit and revision like the anchors validators', () => {
    const ok = (data: Record<string, unknown>) => validateInputs(ddl, 'runonce', data).ok;
    expect(ok({ tags: 'apache, mysql::server,a' })).toBe(true);
    expect(ok({ tags: 'apache;rm -rf' })).toBe(false);
    expect(ok({ tags: 'foo::' })).toBe(false);
    expect(ok({ environment: 'production' })).toBe(true);
    expect(ok({ environment: '_' })).toBe(false);
    expect(ok({ environment: 'a-b' })).toBe(false);
    expect(ok({ splaylimit: 10 })).toBe(true);
    expect(ok({ splaylimit: 1.5 })).toBe(false);
    expect(ok({ revision: 'release/2024.1' })).toBe(true);
    expect(ok({ revision: '--upload-pack=x' })).toBe(false);
    expect(ok({ server: 'puppet.example.com:8140' })).toBe(true);
    expect(ok({ server: 'puppet;reboot' })).toBe(false);
    expect(ok({ undeclared: true })).toBe(false);
  });

  it('lets resource take any parameter but requires type and name', () => {
    expect(ddl.actions.resource!.additional_inputs).toBe(true);
    expect(validateInputs(ddl, 'resource', { type: 'file', name: '/tmp/x', ensure: 'absent' }).ok).toBe(true);
    const missing = validateInputs(ddl, 'resource', { type: 'file' });
    expect(missing).toMatchObject({ ok: false, statuscode: 3 });
  });

  it('defaults last_run_summary logs to false and renders the anchors averages', () => {
    expect(validateInputs(ddl, 'last_run_summary', {})).toEqual({ ok: true, data: { logs: false } });
    const lines = aggregate(ddl, 'last_run_summary', [
      { config_retrieval_time: 1, total_time: 2, total_resources: 10 },
      { config_retrieval_time: 2, total_time: 4, total_resources: 11 },
    ]).map((r) => renderAggregate(r).join('\n'));
    expect(lines).toEqual([
      'Summary of Config Retrieval Time:\n\n   Average: 1.50',
      'Summary of Total Time:\n\n   Average: 3.00',
      'Summary of Total Resources:\n\n   Average: 10',
    ]);
  });

  it('summarises status with boolean labels, in display order', () => {
    const results = aggregate(ddl, 'status', [
      { enabled: true, daemon_present: false, applying: false, idling: false, status: 'stopped' },
      { enabled: false, daemon_present: true, applying: false, idling: true, status: 'disabled' },
      { enabled: true, daemon_present: false, applying: true, idling: false, status: 'applying a catalog' },
    ]);
    expect(results.map((r) => r.displayAs)).toEqual(['Applying', 'Daemon Running', 'Enabled', 'Idling', 'Status', 'Last Run Status']);
    expect(renderAggregate(results[2]!).join('\n')).toBe('Summary of Enabled:\n\n    enabled = 2\n   disabled = 1');
    expect(renderAggregate(results[1]!)).toContain('   stopped = 2');
    expect(renderAggregate(results[0]!)).toContain('   false = 2');
  });
});

describe('puppet settings', () => {
  it('agree with the defaults documented in the config keys', () => {
    const spec = (k: string) => (KEY_SPECS as Record<string, { default: unknown }>)[`plugin.puppet.${k}`]!.default;
    for (const [key, value] of Object.entries(DEFAULTS)) expect(spec(key), key).toEqual(value);
    const s = parseSettings({});
    expect(s).toMatchObject({
      mode: 'agent',
      command: ['puppet', 'agent'],
      splay: true,
      splaylimit: 30,
      signalDaemon: true,
      allowServerOverride: false,
    });
    expect(s.masterless).toMatchObject({ manifest: 'manifests/site.pp', gitRemote: 'origin', gitAllowedRefs: [], gitTimeoutMs: 15_000 });
  });

  it('reads per-type resource lists and rejects bad values with the key named', () => {
    const s = parseSettings({ 'resource_name_whitelist.File': '/tmp/a, /tmp/b', resource_type_whitelist: 'file,service', splay: 'no' });
    expect(s.resource.nameWhitelist).toEqual({ file: ['/tmp/a', '/tmp/b'] });
    expect(s.resource.typeWhitelist).toEqual(['file', 'service']);
    expect(s.splay).toBe(false);
    expect(() => parseSettings({ splaylimit: 'lots' })).toThrow(/plugin\.puppet\.splaylimit/);
    expect(() => parseSettings({ mode: 'server' })).toThrow(/plugin\.puppet\.mode should be agent or apply/);
  });
});
