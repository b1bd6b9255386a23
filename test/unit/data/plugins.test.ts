// Data plugins on the node: evaluated at the filter stage with a per-request cache, bounded in time, failing closed,
// and the built-in puppet(), resource(), fact() and agent() answering from the node's own state.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDataDDL } from '../../../src/ddl/index.js';
import type { DataPlugin } from '../../../src/server/data.js';
import { builtinDataPlugins } from '../../../src/plugins/data/index.js';
import { echoAgent } from './echo.js';
import { filterWith, frameOf, harness, replyOf, requestEnvelope, type Harness } from '../server/fixtures.js';
import { scratchDir } from '../../helpers/scratch.js';

const scratch = scratchDir('troupe-data-plugins-');
afterAll(() => scratch.cleanup());

function dataDDL(name: string, outputs: Record<string, unknown>, timeout = 1, input?: Record<string, unknown>) {
  return parseDataDDL({
    metadata: { name, description: `${name} test data`, author: 't', license: 'Apache-2.0', version: '1', url: '', timeout },
    dataquery: { description: 'test', output: outputs, ...(input ? { input } : {}) },
  });
}

/** A plugin answering `answer`, counting its queries. */
function counting(name: string, answer: () => Record<string, unknown> | Promise<Record<string, unknown>>, timeout = 1) {
  const plugin = {
    calls: 0,
    ddl: dataDDL(name, { up: { description: 'up', type: 'boolean', default: false }, n: { description: 'n', type: 'integer' } }, timeout),
    query() {
      plugin.calls++;
      return answer();
    },
  };
  return plugin;
}

async function ask(h: Harness, ...compound: string[]) {
  const req = requestEnvelope('echo', 'say', { message: 'hi' }, { filter: filterWith({ compound }) });
  const outcome = await h.dispatcher.dispatch(frameOf(req), 'mcollective');
  return outcome ? replyOf(outcome).message.statuscode : 'no reply';
}

const rejected = (h: Harness) => h.stats.snapshot().rejected;

describe('data plugins at the filter stage', () => {
  it('matches on the answer, asking each call once per request however many terms use it', async () => {
    const up = counting('up', () => ({ up: true, n: 3 }));
    const h = harness({ agents: [echoAgent], dataPlugins: [up] });
    expect(await ask(h, 'up().up=true and up().n>2', 'not up().n=0 and role=web')).toBe(0);
    expect(up.calls).toBe(1);
    expect(await ask(h, 'up().up=false')).toBe('no reply');
    expect(up.calls).toBe(2);
    expect(h.stats.snapshot()).toMatchObject({ filtered: 1, passed: 1, rejected: {} });
  });

  it('answers that are not ready at once are awaited; the DDL default fills a field left out', async () => {
    const later = counting('later', async () => ({ n: 1 }));
    const h = harness({ agents: [echoAgent], dataPlugins: [later] });
    expect(await ask(h, 'later().n=1 and later().up=false')).toBe(0);
  });

  it('a plugin that throws, at once or later, makes its term false and is counted and logged; the node goes on', async () => {
    const sync = counting('boom', () => {
      throw new Error('kaput');
    });
    const async = counting('later', () => Promise.reject(new Error('kaput later')));
    const h = harness({ agents: [echoAgent], dataPlugins: [sync, async] });
    expect(await ask(h, 'boom().up=false')).toBe('no reply');
    expect(await ask(h, 'later().up=false')).toBe('no reply');
    expect(await ask(h, 'boom().up=false or role=web')).toBe(0);
    expect(rejected(h)).toEqual({ data_plugin_failed: 3 });
    expect(h.logLines().some((l) => String(l.msg).includes('data plugin boom() failed: kaput'))).toBe(true);
  });

  it('a plugin that overruns its DDL timeout is abandoned (its signal aborted): the term is false', async () => {
    let signal: AbortSignal | undefined;
    const stuck: DataPlugin = {
      ddl: dataDDL('stuck', { up: { description: 'up' } }, 0.05),
      query: (_a, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
    };
    const h = harness({ agents: [echoAgent], dataPlugins: [stuck] });
    expect(await ask(h, 'stuck().up=true')).toBe('no reply');
    expect(signal?.aborted).toBe(true);
    expect(rejected(h)).toEqual({ data_plugin_timeout: 1 });
  });

  it('an unknown plugin or field matches nothing, even under not (fail closed), and never throws', async () => {
    const up = counting('up', () => ({ up: true }));
    const h = harness({ agents: [echoAgent], dataPlugins: [up] });
    expect(await ask(h, 'nosuch().x=1')).toBe('no reply');
    expect(await ask(h, 'not nosuch().x=1')).toBe('no reply');
    expect(await ask(h, 'not up().nofield=1')).toBe('no reply');
    expect(await ask(h, "up('arg').up=true")).toBe('no reply');
    expect(up.calls).toBe(0);
    expect(rejected(h)).toEqual({ unknown_data: 4 });
    expect(h.stats.snapshot().passed).toBe(0);
  });

  it('a node with no data plugins at all refuses every data call', async () => {
    const h = harness({ agents: [echoAgent] });
    expect(await ask(h, 'not puppet().enabled=true')).toBe('no reply');
    expect(rejected(h)).toEqual({ unknown_data: 1 });
  });
});

describe('the built-in data plugins', () => {
  const state = join(scratch.dir, 'state');
  mkdirSync(state, { recursive: true });
  const settings = {
    agent_disabled_lockfile: join(state, 'agent_disabled.lock'),
    agent_catalog_run_lockfile: join(state, 'agent_catalog_run.lock'),
    pidfile: join(state, 'agent.pid'),
    lastrunfile: join(state, 'last_run_summary.yaml'),
    lastrunreport: join(state, 'last_run_report.yaml'),
    resourcefile: join(state, 'resources.txt'),
  };
  const h = harness({
    agents: [echoAgent],
    dataPlugins: builtinDataPlugins(),
    facts: { role: 'web', os: { family: 'Debian', release: { major: '12' } }, tags: ['a', 'b'] },
    settingsFor: (name) => (name === 'puppet' ? settings : {}),
  });
  const now = Math.floor(Date.now() / 1000);

  it('puppet() reads the disable lock, run lock and last run as the status action does', async () => {
    writeFileSync(settings.agent_disabled_lockfile, JSON.stringify({ disabled_message: 'maintenance by ops' }));
    writeFileSync(settings.lastrunfile, `---\ntime:\n  last_run: ${now - 100}\nresources:\n  total: 7\n  failed: 2\n  changed: 1\n`);
    writeFileSync(settings.resourcefile, 'file[/etc/motd]\nservice[ssh]\n');
    expect(await ask(h, 'puppet().enabled=false')).toBe(0);
    expect(await ask(h, "puppet().disable_message='maintenance by ops'")).toBe(0);
    expect(await ask(h, 'puppet().disable_message=/maint/ and puppet().status=disabled')).toBe(0);
    expect(await ask(h, 'puppet().applying=false and puppet().idling=false and puppet().daemon_present=false')).toBe(0);
    expect(await ask(h, 'puppet().since_lastrun>=100 and puppet().since_lastrun<3600')).toBe(0);
    expect(await ask(h, 'puppet().enabled=true')).toBe('no reply');
  });

  it('resource() has the last run resource counts, by both names, and whether a resource is managed', async () => {
    expect(await ask(h, 'resource().failed>0 and resource().failed_resources=2')).toBe(0);
    expect(await ask(h, 'resource().total=7 and resource().changed=1 and resource().out_of_sync=0')).toBe(0);
    expect(await ask(h, "resource('File[/etc/motd]').managed=true and resource('service[nginx]').managed=false")).toBe(0);
    expect(await ask(h, 'resource().failed=0')).toBe('no reply');
  });

  it('with no run recorded, since_lastrun is -1 and the counts 0', async () => {
    const empty = harness({
      agents: [echoAgent],
      dataPlugins: builtinDataPlugins(),
      settingsFor: () => ({ ...settings, lastrunfile: join(state, 'none.yaml'), agent_disabled_lockfile: join(state, 'none.lock') }),
    });
    expect(await ask(empty, 'puppet().since_lastrun=-1 and puppet().lastrun=0 and puppet().enabled=true and resource().failed=0')).toBe(0);
  });

  it("fact('path') looks up dotted facts, with exists and type", async () => {
    expect(await ask(h, "fact('os.family').value=Debian and fact('os.family').type=string")).toBe(0);
    expect(await ask(h, "fact('os.release.major').value>=12 and fact('os').type=hash")).toBe(0);
    expect(await ask(h, "fact('tags').value=b and fact('tags').type=array")).toBe(0);
    expect(await ask(h, "fact('nope').exists=false")).toBe(0);
    expect(await ask(h, "fact('nope').value=x")).toBe('no reply');
  });

  it("agent('name') tells whether the node hosts the agent, and its metadata", async () => {
    expect(await ask(h, "agent('echo').present=true and agent('echo').version=1.0.0 and agent('echo').author=troupe")).toBe(0);
    expect(await ask(h, "agent('puppet').present=false")).toBe(0);
  });

  it('a Puppet state that cannot be read (no settings, no puppet) makes the term false, never a crash', async () => {
    const broken = harness({
      agents: [echoAgent],
      dataPlugins: builtinDataPlugins({
        puppet: {
          status: () => Promise.reject(new Error('no puppet here')),
          lastRun: () => Promise.reject(new Error('no puppet here')),
          managed: () => Promise.reject(new Error('no puppet here')),
        },
      }),
    });
    expect(await ask(broken, 'puppet().enabled=true')).toBe('no reply');
    expect(await ask(broken, 'resource().failed=0 or role=web')).toBe(0);
    expect(broken.stats.snapshot().rejected).toEqual({ data_plugin_failed: 2 });
  });
});

describe('data plugins: bounds', () => {
  it('a filter with more distinct calls than a node runs is refused whole, before any query', async () => {
    const up = counting('up', () => ({ up: true }));
    const many = counting('many', () => ({ up: true }), 1);
    const withInput: DataPlugin = {
      ddl: dataDDL('arg', { up: { description: 'up' } }, 1, { q: { prompt: 'q', description: 'q', type: 'string' } }),
      query: () => {
        many.calls++;
        return { up: true };
      },
    };
    const h = harness({ agents: [echoAgent], dataPlugins: [up, withInput] });
    const calls = Array.from({ length: 33 }, (_, i) => `arg('${i}').up=true`).join(' or ');
    expect(await ask(h, calls)).toBe('no reply');
    expect(many.calls).toBe(0);
    expect(rejected(h)).toEqual({ unknown_data: 1 });
    expect(await ask(h, Array.from({ length: 32 }, (_, i) => `arg('${i}').up=true`).join(' and '))).toBe(0);
    expect(many.calls).toBe(32);
  });

  it('an answer that is not an object counts as a failure', async () => {
    const odd: DataPlugin = {
      ddl: dataDDL('odd', { up: { description: 'up' } }),
      query: () => [1, 2] as unknown as Record<string, unknown>,
    };
    const h = harness({ agents: [echoAgent], dataPlugins: [odd] });
    expect(await ask(h, 'odd().up=1 or role=web')).toBe(0);
    expect(rejected(h)).toEqual({ data_plugin_failed: 1 });
  });
});
