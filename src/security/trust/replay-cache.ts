// Request ids seen recently. A signed request stays acceptable until time + ttl, so its id is remembered
// exactly that long; memory is bounded by `maxEntries`, and a full cache refuses rather than forgets.
import { SecurityError } from '../provider.js';

export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.seen.size;
  }

  /** Records `id` until `expiresAt` (ms since the epoch); throws SecurityError('replay') when already seen. */
  remember(id: string, expiresAt: number, now = Date.now()): void {
    const until = this.seen.get(id);
    if (until !== undefined && until >= now) throw new SecurityError('replay', `request id ${id} was already seen`);
    if (now >= this.nextSweep || this.seen.size >= this.maxEntries) this.sweep(now);
    if (this.seen.size >= this.maxEntries) {
      throw new SecurityError('replay_cache_full', `${this.maxEntries} request ids are still within their TTL; refusing more until some expire`);
    }
    this.seen.set(id, expiresAt);
  }

  private sweep(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
    this.nextSweep = now + 1000;
  }
}
