// How long a governed run holds its slot: until the spawned process is gone, or until a signalled daemon's run
// lock has come and gone. Time is the test's own (an injected sleep), so nothing waits on a clock.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holdUntilRunEnds, type RunSlot } from '../../../src/plugins/agents/puppet/governor-hold.js';
import type { PuppetPaths } from '../../../src/plugins/agents/puppet/paths.js';
import { parseSettings } from '../../../src/plugins/agents/puppet/settings.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function slot(): RunSlot & { released: number; lose(): void } {
  const lost = new AbortController();
  const s = { lost: lost.signal, released: 0, release: async () => void s.released++, lose: () => lost.abort() };
  return s;
}

function runLock(): { paths: PuppetPaths; take(): void; drop(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-hold-'));
  dirs.push(dir);
  const lock = join(dir, 'run.lock');
  return {
    paths: { agent_catalog_run_lockfile: lock } as PuppetPaths,
    take: () => writeFileSync(lock, String(process.pid)),
    drop: () => unlinkSync(lock),
  };
}

describe('holdUntilRunEnds', () => {
  it('holds a spawned run until its process is gone, then releases once', async () => {
    const s = slot();
    let polls = 0;
    await holdUntilRunEnds(s, { method: 'spawn', pid: 123 }, runLock().paths, {
      alive: () => ++polls < 4,
      sleep: async () => expect(s.released).toBe(0),
    });
    expect(polls).toBe(4);
    expect(s.released).toBe(1);
  });

  it("holds a signalled daemon's run while its run lock is there, and lets go once it is gone", async () => {
    const s = slot();
    const lock = runLock();
    let step = 0;
    // Poll 1: not applying yet; 2-3: applying; 4: done.
    const sleep = async () => {
      step++;
      if (step === 1) lock.take();
      if (step === 3) lock.drop();
    };
    await holdUntilRunEnds(s, { method: 'signal', pid: 1 }, lock.paths, { alive: () => true, sleep, startGraceMs: 60_000 });
    expect(step).toBe(3);
    expect(s.released).toBe(1);
  });

  it('stops holding a slot it has lost, and still releases it', async () => {
    const s = slot();
    await holdUntilRunEnds(s, { method: 'spawn', pid: 1 }, runLock().paths, { alive: () => true, sleep: async () => s.lose() });
    expect(s.released).toBe(1);
  });
});

describe('plugin.puppet.governor settings', () => {
  it('reads the governor and its wait, and refuses waits past the action timeout', () => {
    expect(parseSettings({}).governor).toBeUndefined();
    expect(parseSettings({ governor: 'PUPPET' }).governor).toEqual({ name: 'PUPPET', maxWaitMs: 10_000 });
    expect(parseSettings({ governor: 'PUPPET', governor_max_wait: '3' }).governor).toEqual({ name: 'PUPPET', maxWaitMs: 3000 });
    expect(() => parseSettings({ governor: 'PUPPET', governor_max_wait: '30' })).toThrow(/at most 15 seconds/);
    expect(() => parseSettings({ governor: 'a.b' })).toThrow(/not a governor name/);
  });
});
