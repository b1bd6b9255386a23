// Scheduled runs (plugin.puppet.runinterval) on simulated time: when they come, that they go through runonce's
// disable lock and run locks, that a run they cannot start is skipped and logged, and what status says is next.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advance, idle, useFakeClock } from '../../helpers/fake-clock.js';
import type { AgentContext, AgentService, NodeInfo } from '../../../src/server/agent.js';
import { createPuppetAgent } from '../../../src/plugins/agents/puppet/agent.js';
import { PuppetAgentError } from '../../../src/plugins/agents/puppet/errors.js';
import { RunSchedule } from '../../../src/plugins/agents/puppet/schedule.js';
import { parseDuration, parseSettings } from '../../../src/plugins/agents/puppet/settings.js';
import { scheduleLine, timestamp } from '../../../src/client/render/puppet.js';

const T0 = 1_795_000_000_000;
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;

let lines: Array<Record<string, unknown>>;
const logger = () => pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
const logged = (msg: string) => lines.filter((l) => l.msg === msg);

/**
 * Lets pending work run, the clock stopped, until `cond` holds. A scheduled run reads and writes files, and a busy
 * machine's file system can take longer than a fixed number of event-loop turns, so the bound is generous.
 */
async function settle(what: string, cond: () => boolean): Promise<void> {
  const giveUp = performance.now() + 10_000;
  while (!cond()) {
    if (performance.now() > giveUp) throw new Error(`never happened: ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

beforeEach(() => {
  useFakeClock();
  vi.setSystemTime(T0);
  lines = [];
});
afterEach(() => vi.useRealTimers());

describe('RunSchedule', () => {
  it('runs first after the splay, then every interval from the previous start, and says when the next is due', async () => {
    const runs: number[] = [];
    const schedule = new RunSchedule({
      intervalMs: 60_000,
      firstDelayMs: 7_000,
      logger: logger(),
      run: () => {
        runs.push(Date.now() - T0);
        return Promise.resolve({ summary: 'started' });
      },
    });
    schedule.start();
    expect(schedule.nextRunMs).toBe(T0 + 7_000);
    await advance(6_999);
    expect(runs).toEqual([]);
    await advance(1);
    expect(runs).toEqual([7_000]);
    expect(schedule.nextRunMs).toBe(T0 + 67_000);
    await advance(120_000);
    expect(runs).toEqual([7_000, 67_000, 127_000]);
    expect(logged('scheduled Puppet run started')).toHaveLength(3);
    await schedule.stop();
    expect(schedule.nextRunMs).toBe(0);
    await advance(600_000);
    expect(runs).toHaveLength(3);
  });

  it('skips a run that cannot start now and logs why; logs a refusal louder; keeps the schedule either way', async () => {
    const answers = [
      new PuppetAgentError('run_pending', 'A Puppet run requested at … has not finished yet, cannot run now'),
      new PuppetAgentError('not_allowed', "The branch 'experiment' is not in the allowed refs (main)"),
    ];
    const schedule = new RunSchedule({
      intervalMs: 10_000,
      firstDelayMs: 0,
      logger: logger(),
      run: () => Promise.reject(answers.shift() ?? new Error('no more')),
    });
    schedule.start();
    await advance(0);
    expect(logged('scheduled Puppet run skipped')).toMatchObject([
      { level: 30, code: 'run_pending', next_run: new Date(T0 + 10_000).toISOString() },
    ]);
    await advance(10_000);
    expect(logged('scheduled Puppet run refused')).toMatchObject([
      { level: 40, code: 'not_allowed', reason: "The branch 'experiment' is not in the allowed refs (main)" },
    ]);
    expect(schedule.nextRunMs).toBe(T0 + 20_000);
    await schedule.stop();
  });

  it('never starts a run while the previous one is still starting, and stop() aborts it and waits', async () => {
    let calls = 0;
    let aborted = false;
    const schedule = new RunSchedule({
      intervalMs: 1_000,
      firstDelayMs: 0,
      logger: logger(),
      run: (signal) => {
        calls++;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        );
      },
    });
    schedule.start();
    await advance(3_000);
    expect(calls).toBe(1);
    expect(logged('scheduled Puppet run skipped').map((l) => l.reason)).toEqual(
      Array(3).fill('the previous scheduled run is still starting'),
    );
    await schedule.stop();
    expect(aborted).toBe(true);
    expect(logged('scheduled Puppet run refused')).toEqual([]);
  });

  it('waits longer than one timer can', async () => {
    const runs: number[] = [];
    const day = 86_400_000;
    const schedule = new RunSchedule({
      intervalMs: 30 * day,
      firstDelayMs: 0,
      logger: logger(),
      run: () => (runs.push(Date.now() - T0), Promise.resolve({ summary: '' })),
    });
    schedule.start();
    await advance(0);
    await advance(25 * day);
    expect(runs).toEqual([0]);
    await advance(5 * day);
    expect(runs).toEqual([0, 30 * day]);
    await schedule.stop();
  });
});

describe('runinterval and git_track settings', () => {
  it('reads durations as puppet.conf writes them', () => {
    expect([parseDuration('1800', 'runinterval'), parseDuration('30m', 'runinterval'), parseDuration('1h', 'runinterval')]).toEqual([
      1800, 1800, 3600,
    ]);
    expect(parseDuration('2d', 'runinterval')).toBe(172_800);
    expect(parseSettings({}).runinterval).toBe(0);
    expect(() => parseSettings({ runinterval: '30 minutes' })).toThrow(
      "plugin.puppet.runinterval should be a duration such as 1800, 30m or 1h, got '30 minutes'",
    );
    expect(() => parseSettings({ runinterval: '999y' })).toThrow(/should be a duration/);
  });

  it('takes a tracked branch only in masterless mode, and only a branch name', () => {
    expect(parseSettings({ mode: 'apply', git_track: 'main' }).masterless.gitTrack).toBe('main');
    expect(() => parseSettings({ git_track: 'main' })).toThrow('plugin.puppet.git_track only has a meaning in masterless mode');
    expect(() => parseSettings({ mode: 'apply', git_track: '--upload-pack=x' })).toThrow(
      "plugin.puppet.git_track '--upload-pack=x' is not a branch name",
    );
  });
});

describe('the puppet agent on a schedule', () => {
  let dir: string;
  let settings: Record<string, string>;
  let started: string[][];
  let runPid: number;
  let services: AgentService[];

  const agent = createPuppetAgent({
    printSettings: () => Promise.reject(new Error('paths are configured')),
    startDetached: (argv) => {
      started.push([...argv]);
      return Promise.resolve(runPid);
    },
    signal: () => undefined,
    random: () => 0.5,
  });
  const node = { identity: 'web1.example.net' } as NodeInfo;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-puppet-schedule-'));
    for (const d of ['state', 'public', 'run']) mkdirSync(join(dir, d));
    settings = {
      agent_disabled_lockfile: join(dir, 'state/agent_disabled.lock'),
      agent_catalog_run_lockfile: join(dir, 'state/agent_catalog_run.lock'),
      pidfile: join(dir, 'run/agent.pid'),
      lastrunfile: join(dir, 'public/last_run_summary.yaml'),
      lastrunreport: join(dir, 'state/last_run_report.yaml'),
      resourcefile: join(dir, 'state/resources.txt'),
      signal_daemon: 'false',
      runinterval: '1m',
      splaylimit: '20',
    };
    started = [];
    runPid = deadPid;
    services = [];
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => {
    const service = agent.start!({ node, logger: logger(), settings });
    if (service) services.push(service);
    return service;
  };
  const nextRun = async () => {
    const ctx: AgentContext = { node, logger: logger(), settings, signal: new AbortController().signal };
    const data = await agent.invoke(
      { agent: 'puppet', action: 'status', data: {}, caller: 'cert=ops', requestId: 'r', sender: 's', collective: 'mcollective' },
      ctx,
    );
    return data.next_run;
  };
  const runonce = async () => {
    const ctx: AgentContext = { node, logger: logger(), settings, signal: new AbortController().signal };
    try {
      await agent.invoke(
        {
          agent: 'puppet',
          action: 'runonce',
          data: { force: true },
          caller: 'cert=ops',
          requestId: 'r',
          sender: 's',
          collective: 'mcollective',
        },
        ctx,
      );
      return 'started';
    } catch (err) {
      return (err as Error).message;
    }
  };
  const AGENT_RUN = ['puppet', 'agent', '--onetime', '--no-daemonize', '--color=false', '--show_diff', '--verbose', '--no-splay'];

  it('schedules nothing without runinterval', async () => {
    delete settings.runinterval;
    expect(start()).toBeUndefined();
    expect(await nextRun()).toBe(0);
  });

  it('starts the first run after its splay, the next a runinterval later, and status names the next one due', async () => {
    start();
    // splay on (the default), splaylimit 20, random 0.5: the first run 10 seconds after start.
    expect(await nextRun()).toBe(T0 / 1000 + 10);
    expect(logged('Puppet runs scheduled every 60 seconds')).toMatchObject([{ splay_s: 10, runinterval_s: 60 }]);
    await advance(10_000);
    await settle('the first scheduled run', () => logged('scheduled Puppet run started').length === 1);
    expect(started).toEqual([AGENT_RUN]);
    expect(await nextRun()).toBe(T0 / 1000 + 70);
    await advance(60_000);
    await settle('the second scheduled run', () => logged('scheduled Puppet run started').length === 2);
    expect(started).toHaveLength(2);
  });

  it('honours the disable lock: scheduled runs are skipped and logged until Puppet is enabled', async () => {
    settings.splay = 'false';
    writeFileSync(settings.agent_disabled_lockfile!, JSON.stringify({ disabled_message: 'change freeze' }));
    start();
    await advance(0);
    await settle('the skip', () => logged('scheduled Puppet run skipped').length === 1);
    expect(logged('scheduled Puppet run skipped')[0]).toMatchObject({ code: 'disabled', reason: "Puppet is disabled: 'change freeze'" });
    await advance(60_000);
    await settle('the second skip', () => logged('scheduled Puppet run skipped').length === 2);
    expect(started).toEqual([]);
    expect(await nextRun()).toBe(T0 / 1000 + 120);
    rmSync(settings.agent_disabled_lockfile!);
    await advance(60_000);
    await settle('the run after enable', () => logged('scheduled Puppet run started').length === 1);
    expect(started).toHaveLength(1);
  });

  it('never overlaps an on-demand run: the scheduled one is skipped, and an on-demand one refused while a scheduled one runs', async () => {
    settings.splay = 'false';
    settings.runonce_lockfile = join(dir, 'state/runonce.lock');
    // The on-demand run's process is alive (this one), so its run stays pending.
    runPid = process.pid;
    expect(await runonce()).toBe('started');
    start();
    await advance(0);
    await settle('the skip', () => logged('scheduled Puppet run skipped').length === 1);
    expect(logged('scheduled Puppet run skipped')[0]).toMatchObject({ code: 'run_pending' });
    expect(started).toHaveLength(1);

    // That run ends; the next scheduled one starts, and an on-demand request meanwhile is refused.
    writeFileSync(settings.runonce_lockfile, JSON.stringify({ method: 'spawn', pid: deadPid, initiated_at: T0 / 1000 }));
    await advance(60_000);
    await settle('the scheduled run', () => logged('scheduled Puppet run started').length === 1);
    expect(started).toHaveLength(2);
    expect(await runonce()).toMatch(/^A Puppet run requested at .* has not finished yet, cannot run now$/);

    // Puppet itself applying (its run lock held by a live process) is a skip too.
    writeFileSync(settings.runonce_lockfile, JSON.stringify({ method: 'spawn', pid: deadPid, initiated_at: T0 / 1000 }));
    writeFileSync(settings.agent_catalog_run_lockfile!, String(process.pid));
    await advance(60_000);
    await settle('the skip while applying', () => logged('scheduled Puppet run skipped').length === 2);
    expect(logged('scheduled Puppet run skipped')[1]).toMatchObject({ code: 'applying' });
    expect(started).toHaveLength(2);
    await idle();
  });

  it('leaves a running Puppet daemon to its own schedule', async () => {
    settings.splay = 'false';
    settings.signal_daemon = 'true';
    writeFileSync(settings.pidfile!, String(process.pid));
    start();
    await advance(0);
    await settle('the skip', () => logged('scheduled Puppet run skipped').length === 1);
    expect(logged('scheduled Puppet run skipped')[0]).toMatchObject({
      reason: `the Puppet daemon (pid ${process.pid}) schedules its own runs`,
    });
    expect(started).toEqual([]);
  });

  it('logs unusable settings instead of failing the node', () => {
    settings.runinterval = 'soon';
    expect(start()).toBeUndefined();
    expect(logged('no scheduled Puppet runs: the settings are not usable')).toMatchObject([
      { err: "plugin.puppet.runinterval should be a duration such as 1800, 30m or 1h, got 'soon'" },
    ]);
  });
});

describe('mco puppet status', () => {
  it('prints one line for the nodes on a schedule and the next run due, none when no node has one', () => {
    const reply = (next_run?: number, statuscode = 0) => ({ statuscode, data: next_run === undefined ? {} : { next_run } });
    expect(scheduleLine([reply(0), reply()])).toBe('');
    expect(scheduleLine([reply(1_795_000_300), reply(1_795_000_100), reply(0), reply(5, 1)])).toBe(
      `Scheduled runs: 2 of 4 node(s), the next due ${timestamp(new Date(1_795_000_100_000))}\n\n`,
    );
  });
});
