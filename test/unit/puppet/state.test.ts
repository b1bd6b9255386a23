import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disablePuppet, enablePuppet } from '../../../src/plugins/agents/puppet/disable-lock.js';
import {
  configuredNoop,
  forgetPuppetSettings,
  parseConfigPrint,
  puppetPaths,
  type PuppetPaths,
} from '../../../src/plugins/agents/puppet/paths.js';
import { claimRunonceLock, pendingRun, serially } from '../../../src/plugins/agents/puppet/runonce-lock.js';
import { parseSettings } from '../../../src/plugins/agents/puppet/settings.js';
import { readStatus } from '../../../src/plugins/agents/puppet/state.js';
import { isManaged, parseSummary, reportLogs, secondsToHuman, typeDistribution } from '../../../src/plugins/agents/puppet/summary.js';

/** A PID that belonged to a process which has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

let dir: string;
let paths: PuppetPaths;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-puppet-state-'));
  paths = {
    agent_disabled_lockfile: join(dir, 'state', 'agent_disabled.lock'),
    agent_catalog_run_lockfile: join(dir, 'state', 'agent_catalog_run.lock'),
    pidfile: join(dir, 'run', 'agent.pid'),
    lastrunfile: join(dir, 'public', 'last_run_summary.yaml'),
    lastrunreport: join(dir, 'state', 'last_run_report.yaml'),
    resourcefile: join(dir, 'state', 'resources.txt'),
    runonceLockfile: join(dir, 'state', 'troupe_runonce.lock'),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SUMMARY = `---
version:
  config: 1795330881
  puppet: 7.23.0
resources:
  changed: 3
  failed: 1
  total: 10
time:
  config_retrieval: 0.1248
  total: 0.0132
  last_run: 1795330881
events:
  failure: 0
`;

describe('last run summary', () => {
  it('fills the anchors defaults around what Puppet wrote', () => {
    const s = parseSummary(SUMMARY);
    expect(s.resources).toEqual({ changed: 3, failed: 1, total: 10, corrective_change: 0, restarted: 0, out_of_sync: 0 });
    expect(s.time['last_run']).toBe(1795330881);
    expect(s.changes).toEqual({});
    expect(parseSummary(undefined).resources.total).toBe(0);
    expect(parseSummary('::: not yaml [').resources.failed).toBe(0);
  });

  it('counts resources.txt lines by capitalised type and matches managed resources case-insensitively', () => {
    const text = 'file[/etc/motd]\nfile[/tmp/x]\nnotify[hello]\napt::source[debian]\n\n';
    expect(typeDistribution(text)).toEqual({ File: 2, Notify: 1, 'Apt::Source': 1 });
    expect(isManaged(text, 'File', '/etc/motd')).toBe(true);
    expect(isManaged('service[ntpd]\n', 'service', 'NTPD')).toBe(true);
    expect(isManaged(text, 'file', '/etc/other')).toBe(false);
  });

  it('reads log lines from a Ruby-tagged report', () => {
    const report = `--- !ruby/object:Puppet::Transaction::Report
host: vm
logs:
- level: notice
  message: "defined content\\n"
  source: "/Stage[main]/Main/File[/tmp/x]/ensure"
  time: '2026-11-22T07:56:31.606779511+00:00'
`;
    expect(reportLogs(report)).toEqual([
      {
        time_utc: 1795334191,
        time: '2026-11-22T07:56:31.606779511+00:00',
        level: 'notice',
        source: '/Stage[main]/Main/File[/tmp/x]/ensure',
        msg: 'defined content',
      },
    ]);
    expect(reportLogs('garbage: [')).toEqual([]);
  });

  it('spells durations as the anchors do', () => {
    expect(secondsToHuman(5)).toBe('05 seconds');
    expect(secondsToHuman(187)).toBe('3 minutes 07 seconds');
    expect(secondsToHuman(3 * 3600 + 61)).toBe('3 hours 1 minutes 01 seconds');
    expect(secondsToHuman(86400 + 9)).toBe('1 day 0 hours 0 minutes 09 seconds');
    expect(secondsToHuman(2 * 86400 + 3600)).toBe('2 days 1 hours 0 minutes 00 seconds');
  });
});

describe('status from Puppet files', () => {
  it('is stopped and enabled with no files at all, and says no run was recorded', async () => {
    const s = await readStatus(paths, 1_000_000_000_000);
    expect(s).toEqual({
      applying: false,
      idling: false,
      enabled: true,
      daemon_present: false,
      lastrun: 0,
      status: 'stopped',
      disable_message: '',
      message: 'Currently stopped; no completed run recorded',
      last_run_status: 'none',
      last_run_failed: false,
      last_run_noop: false,
      failed_resources: 0,
      last_run_error: '',
      run_state: 'none',
      run_initiated_at: 0,
      run_due_at: 0,
      run_exit_code: -1,
      run_error: '',
    });
  });

  it('sees a live run lock as applying and a dead one as not', async () => {
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(paths.agent_catalog_run_lockfile, String(process.pid));
    expect((await readStatus(paths)).status).toBe('applying a catalog');
    writeFileSync(paths.agent_catalog_run_lockfile, String(deadPid()));
    expect((await readStatus(paths)).applying).toBe(false);
    writeFileSync(paths.agent_catalog_run_lockfile, '');
    expect((await readStatus(paths)).applying).toBe(false);
  });

  it('reports an idling daemon, the last run and time since it', async () => {
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'public'), { recursive: true });
    writeFileSync(paths.pidfile, String(process.pid));
    writeFileSync(paths.lastrunfile, SUMMARY);
    const s = await readStatus(paths, (1795330881 + 187) * 1000);
    expect(s).toMatchObject({ daemon_present: true, idling: true, status: 'idling', lastrun: 1795330881, since_lastrun: 187 });
    expect(s.message).toBe('Currently idling; last run 3 minutes 07 seconds ago failed: 1 resource(s) failed');
    writeFileSync(paths.lastrunfile, SUMMARY.replace(/failed: 1/, 'failed: 0'));
    expect((await readStatus(paths, (1795330881 + 187) * 1000)).message).toBe(
      'Currently idling; last completed run 3 minutes 07 seconds ago',
    );
  });

  it("disables with Puppet's JSON, refuses twice, and enables once", async () => {
    await disablePuppet(paths, 'maintenance window 42');
    expect(readFileSync(paths.agent_disabled_lockfile, 'utf8')).toBe('{"disabled_message":"maintenance window 42"}');
    await expect(disablePuppet(paths, 'other')).rejects.toThrow('Already disabled');
    const s = await readStatus(paths);
    expect(s).toMatchObject({ enabled: false, status: 'disabled', disable_message: 'maintenance window 42' });
    await enablePuppet(paths);
    expect(existsSync(paths.agent_disabled_lockfile)).toBe(false);
    await expect(enablePuppet(paths)).rejects.toThrow('Already enabled');
  });

  it('treats a lock that is not JSON as disabled without a message', async () => {
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(paths.agent_disabled_lockfile, '');
    expect(await readStatus(paths)).toMatchObject({ enabled: false, disable_message: '' });
  });
});

describe('runonce lock', () => {
  it('is exclusive while the recorded run lives, and stale once it is gone', async () => {
    const first = await claimRunonceLock(paths.runonceLockfile, 1000, async () => 0);
    await expect(claimRunonceLock(paths.runonceLockfile, 1000, async () => 0)).rejects.toThrow('Another request is starting a Puppet run');
    await first.record('spawn', process.pid, 1000);
    await expect(claimRunonceLock(paths.runonceLockfile, 1001, async () => 0)).rejects.toThrow(/has not finished yet, cannot run now/);
    await first.record('spawn', deadPid(), 1000);
    expect(await pendingRun(paths.runonceLockfile, 1001, async () => 0)).toBeUndefined();
    const second = await claimRunonceLock(paths.runonceLockfile, 1002, async () => 0);
    await second.release();
    expect(existsSync(paths.runonceLockfile)).toBe(false);
  });

  it('holds a signalled daemon until it completes a run', async () => {
    const lock = await claimRunonceLock(paths.runonceLockfile, 2000, async () => 0);
    await lock.record('signal', process.pid, 2000);
    expect(await pendingRun(paths.runonceLockfile, 2001, async () => 1999)).toMatchObject({ method: 'signal' });
    expect(await pendingRun(paths.runonceLockfile, 2001, async () => 2000)).toBeUndefined();
  });

  it('serialises work on one lock file in this process', async () => {
    const order: string[] = [];
    const slow = serially('k', async () => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 20));
      order.push('a end');
    });
    const fast = serially('k', async () => void order.push('b'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });
});

describe("Puppet's settings", () => {
  const output = [
    'agent_catalog_run_lockfile = /v/state/agent_catalog_run.lock',
    'agent_disabled_lockfile = /v/state/agent_disabled.lock',
    'lastrunfile = /v/public/last_run_summary.yaml',
    'lastrunreport = /v/state/last_run_report.yaml',
    'pidfile = /r/agent.pid',
    'resourcefile = /v/state/resources.txt',
    'noop = false',
  ].join('\n');

  it('are asked once with the configured puppet.conf, and configured paths win', async () => {
    forgetPuppetSettings();
    const calls: string[][] = [];
    const printer = async (binary: string, args: string[]) => {
      calls.push([binary, ...args]);
      return output;
    };
    const s = parseSettings({ config: '/n1/puppet.conf', command: '/opt/bin/puppet agent', lastrunfile: '/mine/summary.yaml' });
    const p = await puppetPaths(s, printer);
    await puppetPaths(s, printer);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(0, 5)).toEqual(['/opt/bin/puppet', 'config', 'print', '--section', 'agent']);
    expect(calls[0]!.slice(-2)).toEqual(['--config', '/n1/puppet.conf']);
    expect(p).toMatchObject({
      lastrunfile: '/mine/summary.yaml',
      pidfile: '/r/agent.pid',
      runonceLockfile: '/v/state/troupe_runonce.lock',
    });
  });

  it('are not asked for when every path is configured, and failures name the keys to set', async () => {
    forgetPuppetSettings();
    const explicit = Object.fromEntries(Object.entries(paths).filter(([k]) => k !== 'runonceLockfile'));
    const p = await puppetPaths(parseSettings(explicit), async () => {
      throw new Error('must not be called');
    });
    expect(p.runonceLockfile).toBe(paths.runonceLockfile);
    await expect(puppetPaths(parseSettings({}), async () => Promise.reject(new Error('no puppet here')))).rejects.toThrow(
      /Could not read Puppet's settings with 'puppet config print': no puppet here; set plugin\.puppet\.agent_disabled_lockfile/,
    );
    expect(() => parseConfigPrint('lastrunfile = /x', ['lastrunfile', 'pidfile'])).toThrow('Puppet did not report pidfile');
    expect(parseConfigPrint('true\n', ['noop'])).toEqual({ noop: 'true' });
    expect(() => parseConfigPrint('\n', ['noop'])).toThrow('Puppet did not report noop');
  });

  it("give noop as the run's own section reads it: [agent] with the paths in agent mode, [user] on its own for puppet apply", async () => {
    forgetPuppetSettings();
    const calls: string[][] = [];
    const printer = async (binary: string, args: string[]) => {
      calls.push([binary, ...args]);
      return args.includes('user') ? 'true\n' : output.replace('noop = false', 'noop = true');
    };
    const agentMode = parseSettings({ config: '/n2/puppet.conf' });
    await puppetPaths(agentMode, printer);
    expect(await configuredNoop(agentMode, printer)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('noop');

    const applyMode = parseSettings({ config: '/n2/puppet.conf', mode: 'apply', apply_command: '/opt/bin/puppet apply' });
    expect(await configuredNoop(applyMode, printer)).toBe(true);
    expect(await configuredNoop(applyMode, printer)).toBe(true);
    expect(calls.slice(1)).toEqual([['/opt/bin/puppet', 'config', 'print', '--section', 'user', 'noop', '--config', '/n2/puppet.conf']]);

    await expect(configuredNoop(parseSettings({ mode: 'apply' }), async () => Promise.reject(new Error('no puppet here')))).rejects.toThrow(
      "Could not read Puppet's noop setting with 'puppet config print --section user': no puppet here; ask for noop=true or noop=false explicitly",
    );
    await expect(configuredNoop(parseSettings({ mode: 'apply', config: '/n3' }), async () => 'maybe\n')).rejects.toThrow(
      "Puppet reported noop = 'maybe', not true or false",
    );
  });
});
