// Request ids a node has let run, each remembered until its request stops being acceptable (time + effective TTL).
// A replay is refused before anything else looks at the request; an id is recorded only just before its action
// runs, so requests that could never execute here (another collective, a filter that does not match, a caller the
// policy allows nothing) take no room. Room is bounded in total and per caller: one caller filling its share gets
// `replay_quota` while everyone else goes on. With a journal, the ids survive a restart; without one, requests
// dated before the cache began are refused, since whether they ran before is unknown.
import { SecurityError } from '../provider.js';
import type { ReplayJournal, ReplayRecord } from './replay-journal.js';

export interface ReplayCacheOptions {
  /** Ids remembered at most; when full, new requests are refused rather than old ids forgotten. */
  maxEntries?: number;
  /** Ids one caller may hold at most (its quota); defaults to a tenth of `maxEntries`. */
  maxPerCaller?: number;
  /** The longest TTL honoured (plugin.security.max_ttl), in ms. */
  maxTtlMs?: number;
  /** Persists ids across restarts. */
  journal?: ReplayJournal;
  now?: number;
}

export class ReplayCache {
  private readonly seen = new Map<string, ReplayRecord>();
  private readonly expiry = new ExpiryHeap();
  private readonly perCaller = new Map<string, number>();
  private maxEntries: number;
  private maxPerCaller: number;
  private maxTtlMs: number;
  /** Requests dated before this are refused: ids of requests that ran earlier are unknown. */
  readonly since: number;
  /** After max_ttl was raised: requests dated before `before` may have run under the smaller cap and been forgotten. */
  private lowerCap?: { before: number; maxTtlMs: number };
  private readonly journal?: ReplayJournal;

  constructor(opts: ReplayCacheOptions = {}) {
    const now = opts.now ?? Date.now();
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.maxPerCaller = opts.maxPerCaller ?? defaultQuota(this.maxEntries);
    this.maxTtlMs = opts.maxTtlMs ?? 300_000;
    this.journal = opts.journal;
    this.since = opts.journal?.continuous ? 0 : now;
    if (opts.journal) {
      for (const r of opts.journal.records) if (r.until >= now) this.add(r);
      const previousCap = opts.journal.maxTtlMs;
      if (previousCap !== undefined && previousCap < this.maxTtlMs) this.lowerCap = { before: now, maxTtlMs: previousCap };
      opts.journal.compact(this.seen.values(), this.keptUnderMs());
    }
  }

  get size(): number {
    return this.seen.size;
  }

  /** Takes new limits (SIGHUP); ids already remembered stay. */
  configure(opts: { maxEntries: number; maxPerCaller?: number; maxTtlMs: number }, now = Date.now()): void {
    this.maxEntries = opts.maxEntries;
    this.maxPerCaller = opts.maxPerCaller ?? defaultQuota(opts.maxEntries);
    if (opts.maxTtlMs > this.maxTtlMs) {
      // Ids were kept only as long as the old cap allowed: the old cap still applies to requests dated before now.
      this.lowerCap = { before: now, maxTtlMs: Math.min(this.maxTtlMs, this.lowerCap?.maxTtlMs ?? Infinity) };
    }
    this.maxTtlMs = opts.maxTtlMs;
    this.journal?.setMaxTtl(opts.maxTtlMs);
  }

  /**
   * Throws SecurityError `replay` when `id` already ran within its TTL, `before_start` when its request is dated
   * before this cache knows what ran, `ttl_expired` when it is older than a cap that applied to it.
   */
  check(id: string, time: number, now = Date.now()): void {
    this.sweep(now);
    if (this.seen.has(id)) throw new SecurityError('replay', `request id ${id} was already seen`);
    if (time < this.since) {
      throw new SecurityError(
        'before_start',
        `request is dated ${new Date(time).toISOString()}, before this node began recording request ids at ${new Date(this.since).toISOString()}; it may have run already`,
      );
    }
    if (this.lowerCap && time < this.lowerCap.before && now - time > this.lowerCap.maxTtlMs) {
      throw new SecurityError(
        'ttl_expired',
        `request expired ${Math.round((now - time) / 1000)}s after creation (ttl ${this.lowerCap.maxTtlMs / 1000}s, the cap in force when it was sent)`,
      );
    }
  }

  /**
   * Records that `id` runs now and stays a replay until `until` (ms since the epoch). Throws `replay`,
   * `replay_quota` (the caller holds its share) or `replay_cache_full`. The record is written before returning.
   */
  remember(id: string, caller: string, until: number, now = Date.now()): void {
    this.sweep(now);
    if (this.seen.has(id)) throw new SecurityError('replay', `request id ${id} was already seen`);
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.maxPerCaller) {
      throw new SecurityError(
        'replay_quota',
        `caller ${caller} has ${held} requests still within their TTL on this node (quota ${this.maxPerCaller}); refusing more until some expire`,
      );
    }
    if (this.seen.size >= this.maxEntries) {
      throw new SecurityError(
        'replay_cache_full',
        `${this.maxEntries} request ids are still within their TTL; refusing more until some expire`,
      );
    }
    const record = { id, until, caller };
    this.journal?.append(record);
    this.add(record);
    if (this.journal?.wantsCompaction(this.seen.size)) this.journal.compact(this.seen.values(), this.keptUnderMs());
  }

  close(): void {
    this.journal?.close();
  }

  /** The smallest cap the remembered ids may have been kept under. */
  private keptUnderMs(): number {
    return Math.min(this.maxTtlMs, this.lowerCap?.maxTtlMs ?? Infinity);
  }

  private add(record: ReplayRecord): void {
    this.seen.set(record.id, record);
    this.expiry.push(record);
    this.perCaller.set(record.caller, (this.perCaller.get(record.caller) ?? 0) + 1);
  }

  /** Forgets every id whose request can no longer be accepted; costs one heap pop per expired id. */
  private sweep(now: number): void {
    for (let top = this.expiry.peek(); top && top.until < now; top = this.expiry.peek()) {
      this.expiry.pop();
      this.seen.delete(top.id);
      const left = (this.perCaller.get(top.caller) ?? 1) - 1;
      if (left > 0) this.perCaller.set(top.caller, left);
      else this.perCaller.delete(top.caller);
    }
    if (this.lowerCap && now > this.lowerCap.before + this.maxTtlMs) this.lowerCap = undefined;
  }
}

function defaultQuota(maxEntries: number): number {
  return Math.max(1, Math.floor(maxEntries / 10));
}

/** A binary min-heap of records by expiry. */
class ExpiryHeap {
  private readonly items: ReplayRecord[] = [];

  peek(): ReplayRecord | undefined {
    return this.items[0];
  }

  push(item: ReplayRecord): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.until <= a[i]!.until) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): ReplayRecord | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]!.until < a[m]!.until) m = l;
      if (r < a.length && a[r]!.until < a[m]!.until) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
    return top;
  }
}
