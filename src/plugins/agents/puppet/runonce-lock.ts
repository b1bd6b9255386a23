// One requested run at a time per node. Puppet's own run lock only appears once a run is past its splay, so
// troupe keeps a lock of its own from the moment a run is requested until the process it started is gone:
// an in-process queue per lock file (requests arriving together in one daemon) and an exclusive file on disk
// (any other process on the node).
import { mkdir, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { isAlive } from './process.js';

export type PendingMethod = 'starting' | 'spawn' | 'signal';

export interface PendingRun {
  method: PendingMethod;
  /** starting: the daemon handling the request; spawn: the run's process; signal: the signalled Puppet daemon. */
  pid: number;
  /** Seconds since the epoch at which the run was requested. */
  initiated_at: number;
}

/** A request holds the lock this long at most before it has started something. */
const STARTING_MAX_S = 60;
/** A signalled daemon that has not completed a run in this time is not waited for any longer. */
const SIGNAL_MAX_S = 600;
/** Guards against a recycled PID keeping a finished run's lock alive forever. */
const SPAWN_MAX_S = 6 * 3600;

const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for the same lock file in this process has finished. */
export async function serially<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(fn);
  const settled = run.catch(() => undefined);
  queues.set(file, settled);
  try {
    return await run;
  } finally {
    if (queues.get(file) === settled) queues.delete(file);
  }
}

function parsePending(text: string): PendingRun | undefined {
  try {
    const json = JSON.parse(text) as Partial<PendingRun>;
    if (
      typeof json.pid === 'number' &&
      typeof json.initiated_at === 'number' &&
      ['starting', 'spawn', 'signal'].includes(String(json.method))
    ) {
      return json as PendingRun;
    }
  } catch {
    // fall through: unreadable means stale
  }
  return undefined;
}

/** Whether a recorded run is over; `lastrun` is the last completed run (seconds), for signalled daemons. */
export function isStale(p: PendingRun | undefined, nowS: number, lastrun: number): boolean {
  if (!p || !isAlive(p.pid)) return true;
  const age = nowS - p.initiated_at;
  switch (p.method) {
    case 'starting':
      return age > STARTING_MAX_S;
    case 'signal':
      return lastrun >= p.initiated_at || age > SIGNAL_MAX_S;
    case 'spawn':
      return age > SPAWN_MAX_S;
  }
}

export interface ClaimedLock {
  readonly file: string;
  /** Records what was started, replacing the "starting" placeholder. */
  record(method: Exclude<PendingMethod, 'starting'>, pid: number, initiatedAt: number): Promise<void>;
  /** Gives the lock up (nothing was started after all). */
  release(): Promise<void>;
}

/** The run recorded in the lock file when it is still going, else undefined. */
export async function pendingRun(file: string, nowS: number, lastrun: () => Promise<number>): Promise<PendingRun | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const p = parsePending(text);
  if (p === undefined) {
    // Written but not yet filled in by another process, or garbage: only trust it while it is fresh.
    const age = (Date.now() - (await stat(file).catch(() => ({ mtimeMs: 0 }))).mtimeMs) / 1000;
    return age < STARTING_MAX_S && text.trim() === '' ? { method: 'starting', pid: process.pid, initiated_at: nowS } : undefined;
  }
  return isStale(p, nowS, p.method === 'signal' ? await lastrun() : 0) ? undefined : p;
}

function describe(p: PendingRun): string {
  const at = new Date(p.initiated_at * 1000).toISOString();
  if (p.method === 'signal')
    return `The Puppet daemon (pid ${p.pid}) was signalled to run at ${at} and has not completed that run yet, cannot run now`;
  if (p.method === 'starting') return 'Another request is starting a Puppet run, cannot run now';
  return `A Puppet run requested at ${at} (pid ${p.pid}) has not finished yet, cannot run now`;
}

/**
 * Takes the lock file exclusively, clearing a stale one; throws PuppetAgentError(run_pending) when a
 * requested run is still going. Call inside `serially(file, …)`.
 */
export async function claimRunonceLock(file: string, nowS: number, lastrun: () => Promise<number>): Promise<ClaimedLock> {
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify({ method: 'starting', pid: process.pid, initiated_at: nowS } satisfies PendingRun));
      } finally {
        await handle.close();
      }
      return {
        file,
        record: (method, pid, initiatedAt) =>
          writeFile(file, JSON.stringify({ method, pid, initiated_at: initiatedAt } satisfies PendingRun)),
        release: () => unlink(file).catch(() => undefined),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pending = await pendingRun(file, nowS, lastrun);
    if (pending) throw new PuppetAgentError('run_pending', describe(pending));
    await unlink(file).catch(() => undefined);
  }
  throw new PuppetAgentError('run_pending', 'Another request is starting a Puppet run, cannot run now');
}
