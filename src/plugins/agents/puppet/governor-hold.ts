// A run under a governor (plugin.puppet.governor): runonce takes a slot before Puppet starts and holds it until
// the run's process has gone, so at most the governor's capacity of runs happen across the fleet at once.
import type { PuppetPaths } from './paths.js';
import { applyingPid } from './state.js';

/** A slot held; refreshed by its owner until released. */
export interface RunSlot {
  /** Aborted when the slot was lost while held (evicted, or expired). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** Where slots come from: the daemon lends this to the agent when its broker has JetStream. */
export interface RunGovernors {
  /** A slot, or the reason none was had within `maxWaitMs` (all held); other failures throw. */
  acquire(governor: string, holder: string, maxWaitMs: number, signal?: AbortSignal): Promise<{ slot: RunSlot } | { refused: string }>;
}

export interface HoldOptions {
  /** True while the process is alive. */
  alive(pid: number): boolean;
  pollMs?: number;
  /** A signalled daemon may take this long to begin applying; the slot is held that long at least. */
  startGraceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Holds `slot` until the run is over, then releases it. A spawned run is over when its process is; a signalled
 * daemon's run is over once its catalog run lock has come and gone (or never came within the grace period).
 */
export async function holdUntilRunEnds(
  slot: RunSlot,
  run: { method: 'spawn' | 'signal'; pid: number },
  paths: PuppetPaths,
  opts: HoldOptions,
): Promise<void> {
  const pollMs = opts.pollMs ?? 500;
  const sleep = opts.sleep ?? pause;
  try {
    if (run.method === 'spawn') {
      while (opts.alive(run.pid) && !slot.lost.aborted) await sleep(pollMs);
      return;
    }
    const graceEnds = Date.now() + (opts.startGraceMs ?? 30_000);
    let seen = false;
    while (!slot.lost.aborted) {
      const applying = (await applyingPid(paths).catch(() => undefined)) !== undefined;
      seen ||= applying;
      if (seen ? !applying : Date.now() > graceEnds) return;
      await sleep(pollMs);
    }
  } finally {
    await slot.release().catch(() => undefined);
  }
}
