// Scheduled runs owned by the daemon (plugin.puppet.runinterval), timed as puppet agent's own daemon times them:
// the first run at start, after a random splay up to splaylimit when splay is on, then one every runinterval
// from the previous one's start. A run that cannot start (disabled, applying, another run pending) is skipped and
// logged, and the next one is due an interval later, as with Puppet's scheduler.
import type { Logger } from 'pino';
import { PuppetAgentError, type PuppetErrorCode } from './errors.js';

/** A run started, or why none was needed (a Puppet daemon keeping its own schedule). */
export type ScheduledRun = { summary: string; revision?: string } | { skipped: string };

export interface ScheduleOptions {
  intervalMs: number;
  /** The wait before the first run (the splay). */
  firstDelayMs: number;
  /** Starts one run through runonce's checks and locks; rejects with why it did not start. */
  run(signal: AbortSignal): Promise<ScheduledRun>;
  logger: Logger;
  now?: () => number;
  /** More for the line logged at start (the tracked branch). */
  about?: Record<string, unknown>;
}

/** setTimeout's longest wait; a longer one is made of several. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Refusals that mean "not now", not "something is wrong": the run is skipped until the next one is due. */
const SKIPS: ReadonlySet<PuppetErrorCode> = new Set(['disabled', 'applying', 'run_pending', 'governor_full']);

const iso = (ms: number) => new Date(ms).toISOString();

export class RunSchedule {
  private timer?: NodeJS.Timeout;
  private dueMs = 0;
  private current?: Promise<void>;
  private active = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly o: ScheduleOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.active = true;
    this.arm(this.now() + this.o.firstDelayMs);
    this.o.logger.info(
      { runinterval_s: this.o.intervalMs / 1000, splay_s: this.o.firstDelayMs / 1000, next_run: iso(this.dueMs), ...this.o.about },
      `Puppet runs scheduled every ${this.o.intervalMs / 1000} seconds`,
    );
  }

  /** When the next run is due, milliseconds since the epoch; 0 when none is scheduled. */
  get nextRunMs(): number {
    return this.active ? this.dueMs : 0;
  }

  private arm(dueMs: number): void {
    this.dueMs = dueMs;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.min(MAX_TIMER_MS, Math.max(0, dueMs - this.now())));
    this.timer.unref();
  }

  private tick(): void {
    if (!this.active) return;
    const now = this.now();
    if (now < this.dueMs) return this.arm(this.dueMs);
    this.arm(now + this.o.intervalMs);
    const { logger } = this.o;
    const next = iso(this.dueMs);
    if (this.current) {
      logger.info({ reason: 'the previous scheduled run is still starting', next_run: next }, 'scheduled Puppet run skipped');
      return;
    }
    this.current = this.o
      .run(this.abort.signal)
      .then(
        (r) =>
          'skipped' in r
            ? logger.info({ reason: r.skipped, next_run: next }, 'scheduled Puppet run skipped')
            : logger.info({ summary: r.summary, revision: r.revision, next_run: next }, 'scheduled Puppet run started'),
        (err: Error) => {
          if (!this.active) return;
          const code = err instanceof PuppetAgentError ? err.code : undefined;
          if (code && SKIPS.has(code)) logger.info({ reason: err.message, code, next_run: next }, 'scheduled Puppet run skipped');
          else logger.warn({ reason: err.message, code, next_run: next }, 'scheduled Puppet run refused');
        },
      )
      .finally(() => (this.current = undefined));
  }

  /** No more runs; a run still starting is aborted (a governor wait) or let finish starting. */
  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.current;
  }
}
