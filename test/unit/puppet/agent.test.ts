// The puppet agent's actions over Puppet's files in a temp dir; starting and signalling processes is recorded
// instead of done (the integration tests do both with real Puppet).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionFailed, type AgentContext, type NodeInfo } from '../../../src/server/agent.js';
import { createPuppetAgent } from '../../../src/plugins/agents/puppet/agent.js';

let dir: string;
let settings: Record<string, string>;
let started: string[][];
let signalled: Array<[number, string]>;
let runPid: number;

const NOW = 1_795_000_000_000;
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-puppet-agent-'));
  for (const d of ['state', 'public', 'run']) mkdirSync(join(dir, d));
  settings = {
    agent_disabled_lockfile: join(dir, 'state/agent_disabled.lock'),
    agent_catalog_run_lockfile: join(dir, 'state/agent_catalog_run.lock'),
    pidfile: join(dir, 'run/agent.pid'),
    lastrunfile: join(dir, 'public/last_run_summary.yaml'),
    lastrunreport: join(dir, 'state/last_run_report.yaml'),
    resourcefile: join(dir, 'state/resources.txt'),
  };
  started = [];
  signalled = [];
  runPid = process.pid;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const agent = createPuppetAgent({
  printSettings: async () => {
    throw new Error('paths are configured');
  },
  startDetached: async (argv) => {
    started.push([...argv]);
    await new Promise((r) => setTimeout(r, 20));
    return runPid;
  },
  signal: (pid, signal) => void signalled.push([pid, signal]),
  nowMs: () => NOW,
});

async function call(action: string, data: Record<string, unknown> = {}) {
  const ctx: AgentContext = { node: {} as NodeInfo, logger: pino({ level: 'silent' }), settings, signal: new AbortController().signal };
  try {
    return {
      ok: true as const,
      data: await agent.invoke(
        { agent: 'puppet', action, data, caller: 'cert=ops', requestId: 'r1', sender: 's', collective: 'mcollective' },
        ctx,
      ),
    };
  } catch (err) {
    if (err instanceof ActionFailed) return { ok: false as const, statuscode: err.statuscode, message: err.message };
    throw err;
  }
}

describe('runonce', () => {
  it('starts one detached agent run with splay from config and reports when', async () => {
    const r = await call('runonce', {});
    expect(r).toEqual({
      ok: true,
      data: {
        summary:
          "Started a Puppet run using the 'puppet agent --onetime --no-daemonize --color=false --show_diff --verbose --splay --splaylimit 30' command",
        initiated_at: NOW / 1000,
      },
    });
    expect(started).toEqual([
      ['puppet', 'agent', '--onetime', '--no-daemonize', '--color=false', '--show_diff', '--verbose', '--splay', '--splaylimit', '30'],
    ]);
  });

  it('starts only one run when two requests arrive together', async () => {
    const [a, b] = await Promise.all([call('runonce', { force: true }), call('runonce', { force: true })]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    const refused = a.ok ? b : a;
    expect(refused).toMatchObject({
      statuscode: 1,
      message: expect.stringMatching(/A Puppet run requested at .* \(pid \d+\) has not finished yet, cannot run now/) as string,
    });
    expect(started).toHaveLength(1);
  });

  it('starts again once the earlier run has exited', async () => {
    runPid = deadPid();
    expect((await call('runonce', { force: true })).ok).toBe(true);
    expect((await call('runonce', { force: true })).ok).toBe(true);
    expect(started).toHaveLength(2);
  });

  it('refuses while disabled or applying, with the anchors messages', async () => {
    writeFileSync(settings.agent_disabled_lockfile!, '{"disabled_message":"maintenance window 42"}');
    expect(await call('runonce')).toEqual({ ok: false, statuscode: 1, message: "Puppet is disabled: 'maintenance window 42'" });
    writeFileSync(settings.agent_disabled_lockfile!, '{"disabled_message":""}');
    expect(await call('runonce')).toMatchObject({ message: 'Puppet is disabled' });
    rmSync(settings.agent_disabled_lockfile!);
    writeFileSync(settings.agent_catalog_run_lockfile!, String(process.pid));
    expect(await call('runonce')).toMatchObject({ message: 'Puppet is currently applying a catalog, cannot run now' });
    expect(started).toEqual([]);
  });

  it('signals an idle daemon instead of starting a run, and refuses options it cannot pass', async () => {
    writeFileSync(settings.pidfile!, String(process.pid));
    expect(await call('runonce', { noop: true })).toMatchObject({
      ok: false,
      message: 'Cannot specify any custom puppet options when the daemon is running',
    });
    expect(await call('runonce', { splay: true, splaylimit: 4 })).toMatchObject({
      ok: true,
      data: { summary: 'Signalled the running Puppet Daemon' },
    });
    expect(signalled).toEqual([[process.pid, 'SIGUSR1']]);
    expect(started).toEqual([]);
    // Until the daemon completes that run, a second signal is not sent.
    expect(await call('runonce')).toMatchObject({ ok: false, message: expect.stringContaining('was signalled to run') as string });
    settings.signal_daemon = 'false';
    writeFileSync(settings.lastrunfile!, `time:\n  last_run: ${NOW / 1000}\n`);
    expect(await call('runonce', { force: true })).toMatchObject({
      ok: true,
      data: { summary: expect.stringContaining('--no-splay') as string },
    });
  });

  it('refuses a server unless allowed, and revisions outside masterless mode', async () => {
    expect(await call('runonce', { server: 'puppet2' })).toMatchObject({
      message: "Passing 'server' option is not allowed in module configuration",
    });
    settings.allow_server_override = 'yes';
    expect(await call('runonce', { force: true, server: 'puppet2:8141' })).toMatchObject({ ok: true });
    expect(started[0]!.slice(-4)).toEqual(['--server', 'puppet2', '--masterport', '8141']);
    expect(await call('runonce', { revision: 'main' })).toMatchObject({
      statuscode: 4,
      message: expect.stringContaining('only possible in masterless mode') as string,
    });
  });

  it("says a run is a no-op when Puppet's noop setting is, unless the request says otherwise", async () => {
    const askedFor: string[][] = [];
    const noopAgent = createPuppetAgent({
      printSettings: async (_binary, args) => {
        askedFor.push(args);
        return [...Object.entries(settings).map(([k, v]) => `${k} = ${v}`), 'noop = true'].join('\n');
      },
      startDetached: async (argv) => {
        started.push([...argv]);
        return deadPid();
      },
      signal: () => undefined,
      nowMs: () => NOW,
    });
    const run = (data: Record<string, unknown>) =>
      noopAgent.invoke(
        { agent: 'puppet', action: 'runonce', data, caller: 'cert=ops', requestId: 'r2', sender: 's', collective: 'mcollective' },
        {
          node: {} as NodeInfo,
          logger: pino({ level: 'silent' }),
          settings: { ...settings, config: join(dir, 'noop.conf') },
          signal: new AbortController().signal,
        },
      );
    // `puppet agent` reads the setting itself: the command is the same, the reply says what it will do.
    expect(await run({ force: true })).toEqual({
      summary:
        "Started a no-op Puppet run using the 'puppet agent --config " +
        join(dir, 'noop.conf') +
        " --onetime --no-daemonize --color=false --show_diff --verbose --no-splay' command",
      initiated_at: NOW / 1000,
      noop: true,
    });
    expect(askedFor).toHaveLength(1);
    expect(askedFor[0]!.slice(0, 4)).toEqual(['config', 'print', '--section', 'agent']);
    const real = await run({ force: true, noop: false });
    expect(real).not.toHaveProperty('noop');
    expect(real.summary).toMatch(/^Started a Puppet run using .*--no-noop' command$/);
    expect(askedFor).toHaveLength(1);
  });
});

describe('enable and disable', () => {
  it('use the anchors messages, and a default reason naming the caller', async () => {
    expect(await call('disable')).toEqual({
      ok: true,
      data: { status: 'Succesfully locked the Puppet agent: Disabled via troupe by cert=ops at ' + stamp(), enabled: false },
    });
    expect(await call('disable', { message: 'again' })).toEqual({
      ok: false,
      statuscode: 1,
      message: 'Could not disable Puppet: Already disabled',
    });
    expect(await call('enable')).toEqual({ ok: true, data: { status: 'Succesfully enabled the Puppet agent', enabled: true } });
    expect(await call('enable')).toEqual({ ok: false, statuscode: 1, message: 'Could not enable Puppet: Already enabled' });
  });
});

function stamp(): string {
  const d = new Date(NOW);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

describe('status and last_run_summary', () => {
  it('report the last run from Puppet files', async () => {
    writeFileSync(
      settings.lastrunfile!,
      `version:\n  config: abc123\nresources:\n  total: 4\n  failed: 1\ntime:\n  config_retrieval: 0.5\n  total: 1.25\n  last_run: ${NOW / 1000 - 65}\n`,
    );
    writeFileSync(settings.resourcefile!, 'file[/a]\nfile[/b]\nservice[ntp]\n');
    writeFileSync(
      settings.lastrunreport!,
      "--- !ruby/object:Puppet::Transaction::Report\nlogs:\n- level: err\n  message: boom\n  source: Puppet\n  time: '2026-11-22T07:56:31+00:00'\n",
    );
    const status = await call('status');
    expect(status).toMatchObject({
      ok: true,
      data: {
        status: 'stopped',
        lastrun: NOW / 1000 - 65,
        since_lastrun: 65,
        message: 'Currently stopped; last run 1 minutes 05 seconds ago failed: 1 resource(s) failed: boom',
        last_run_failed: true,
        last_run_status: 'failed',
        failed_resources: 1,
      },
    });
    const summary = await call('last_run_summary', { logs: true });
    expect(summary).toMatchObject({
      ok: true,
      data: {
        failed_resources: 1,
        total_resources: 4,
        out_of_sync_resources: 0,
        config_retrieval_time: 0.5,
        total_time: 1.25,
        config_version: 'abc123',
        type_distribution: { File: 2, Service: 1 },
        logs: [{ level: 'err', msg: 'boom', source: 'Puppet' }],
        last_run_failed: true,
        last_run_error: '1 resource(s) failed: boom',
      },
    });
    writeFileSync(settings.lastrunfile!, 'version:\n  config:\ntime:\n  last_run: 5\n');
    expect(await call('last_run_summary')).toMatchObject({ data: { config_version: '', logs: [] } });
  });
});

describe('resource', () => {
  it('is denied by default and refuses resources Puppet manages', async () => {
    expect(await call('resource', { type: 'file', name: '/tmp/x', ensure: 'absent' })).toEqual({
      ok: false,
      statuscode: 1,
      message: 'The file type is not listed in the type whitelist',
    });
    settings.resource_type_whitelist = 'file';
    writeFileSync(settings.resourcefile!, 'file[/etc/motd]\n');
    expect(await call('resource', { type: 'File', name: '/etc/motd', ensure: 'absent' })).toMatchObject({
      message: "Puppet is managing the resource 'File[/etc/motd]', refusing to create conflicting states",
    });
  });

  it('answers hostile types, names and parameters with a refusal, never an exception', async () => {
    settings.resource_type_blacklist = 'package';
    writeFileSync(settings.resourcefile!, 'file[/etc//motd/]\n');
    const refusals: Array<[Record<string, unknown>, number, string | RegExp]> = [
      [
        { type: 'constructor', name: 'x' },
        1,
        'The constructor type has no parameter allow-list: plugin.puppet.resource_allow_params.constructor must name the parameters it may take (empty for none)',
      ],
      [{ type: '__proto__', name: 'x' }, 4, "Invalid resource type '__proto__'"],
      [{ type: 'file', name: '/tmp/a\0b' }, 4, 'The resource name may not contain control characters'],
      [{ type: 'file', name: 'relative' }, 4, 'The relative name must be an absolute path'],
      [
        { type: 'file', name: '/etc/./motd', ensure: 'absent' },
        1,
        "Puppet is managing the resource 'File[/etc/motd]', refusing to create conflicting states",
      ],
      [{ type: 'file', name: '/tmp/x', content: { nested: true } }, 4, /Could not parse argument 'content'/],
      [{ type: 'file', name: '/tmp/x', target: '/etc/shadow' }, 1, /parameter 'target' is not allowed/],
      [{ type: 'package', name: '-oAPT::Update::Pre-Invoke::=id' }, 1, 'The package type is listed in the type blacklist'],
      [{ type: 'service', name: '-x' }, 4, "The resource name '-x' may not start with '-'"],
    ];
    const expectRefusals = async (cases: typeof refusals) => {
      for (const [data, statuscode, message] of cases) {
        const reply = await call('resource', data);
        expect(reply, JSON.stringify(data)).toMatchObject({ ok: false, statuscode });
        expect((reply as { message: string }).message, JSON.stringify(data)).toMatch(
          typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message,
        );
      }
    };
    await expectRefusals(refusals);
    // A link target, where a node allows one, is a path like the name and meets the same blacklist.
    settings['resource_allow_params.file'] = 'ensure, target';
    settings['resource_name_blacklist.file'] = '/etc/ssl';
    await expectRefusals([
      [
        { type: 'file', name: '/tmp/x', ensure: 'link', target: '/etc//ssl/private' },
        1,
        'The /etc//ssl/private target reaches /etc/ssl/private, which is covered by /etc/ssl in the name blacklist',
      ],
      [
        { type: 'file', name: '/tmp/x', ensure: 'link', target: '/tmp/../etc/ssl' },
        4,
        "The /tmp/../etc/ssl target may not contain '..': what it names depends on symbolic links",
      ],
    ]);
  });
});
