// Warnings about rejected messages, limited per reason: anyone who can publish to the broker can send bad
// messages, and each one must not cost a log line. The first `burst` rejections of a reason in an interval are
// logged as they come; the rest are only counted, and summed up in one line when the interval ends.
// The daemon's stats count every rejection whatever is logged.
import type { Logger } from 'pino';

export interface RejectionLogOptions {
  /** Rejections of one reason logged one by one in each interval; default 10. */
  burst?: number;
  /** Length of an interval in ms; default 1000. */
  intervalMs?: number;
}

export class RejectionLog {
  private readonly burst: number;
  private readonly intervalMs: number;
  /** Rejections seen per reason since the interval began. */
  private readonly seen = new Map<string, number>();
  /** Ends the current interval; armed by its first rejection, so a quiet node holds no timer. */
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(
    private readonly logger: Logger,
    opts: RejectionLogOptions = {},
  ) {
    this.burst = opts.burst ?? 10;
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  warn(reason: string, message: string, requestid?: string): void {
    const count = (this.seen.get(reason) ?? 0) + 1;
    this.seen.set(reason, count);
    if (!this.timer) {
      this.startedAt = Date.now();
      this.timer = setTimeout(this.endInterval, this.intervalMs);
      // The summary is worth writing, not worth keeping a stopping process alive for: flush() writes it.
      this.timer.unref();
    }
    if (count <= this.burst) this.logger.warn({ reason, requestid }, `rejected request: ${message}`);
  }

  /** Writes the summaries of the current interval now (the node is stopping) and starts afresh. */
  flush(): void {
    clearTimeout(this.timer);
    this.endInterval();
  }

  private readonly endInterval = (): void => {
    this.timer = undefined;
    // Usually the interval; shorter when flushed early.
    const seconds = Math.round((Date.now() - this.startedAt) / 100) / 10;
    for (const [reason, count] of this.seen) {
      const suppressed = count - this.burst;
      if (suppressed > 0) {
        this.logger.warn(
          { reason, suppressed, interval_s: seconds },
          `suppressed ${suppressed} rejections of reason ${reason} in the last ${seconds} s`,
        );
      }
    }
    this.seen.clear();
  };
}
