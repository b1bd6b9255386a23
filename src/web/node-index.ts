// The node list's in-memory index of the registry: every node's last record, kept current by watching the registry
// bucket and re-read whole now and then (entries the broker ages out send no event). Filters are evaluated with the
// filter module's own compiled predicates, so the page shows what `mco find --dm registry` would. With several
// sites each site's bucket is watched on its own; a site whose registry stops answering keeps its nodes, marked.
import type { KV, KvEntry, NatsError, QueuedIterator } from 'nats';
import { compileFilter, lookupFact, type Filter } from '../filter/index.js';
import { decodeRegistration, type RegistrationRecord } from '../protocol/index.js';
import type { JetStreamHandle } from '../transport/jetstream.js';
import { registryJetStream } from '../transport/nats-registry.js';

export interface IndexedNode {
  record: RegistrationRecord;
  /** When the registry stored it, ms since the epoch (broker clock). */
  storedAt: number;
  /** The site whose registry holds it; none with one registry. */
  site?: string;
}

/** A site whose registry the index cannot read now: its nodes are as last read. */
export interface UnreachableSite {
  site: string;
  reason: string;
  /** Since when, ms since the epoch. */
  since: number;
}

export interface NodeQuery {
  filter: Filter;
  offset: number;
  limit: number;
  /** `identity` (default), `lastSeen`, or a fact name; `-` in front sorts descending. */
  sort?: string;
  /** Fact names to include per row (dotted names reach into structured facts). */
  facts: readonly string[];
}

export interface NodeRow {
  identity: string;
  lastSeen: number;
  collectives: string[];
  agents: string[];
  classes: string[];
  facts: Record<string, unknown>;
  site?: string;
  /** Its site's registry cannot be read now: the record is the last one read, perhaps no longer true. */
  siteUnreachable?: true;
}

const compare = (a: unknown, b: unknown): number => {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
};

export class NodeIndex {
  private readonly nodes = new Map<string, IndexedNode>();
  private sorted?: IndexedNode[];
  private factNames?: string[];
  /** Records older than this (the registry's max age) count as gone; 0: none. A site's own, when set, wins. */
  maxAgeMs = 0;
  private readonly siteMaxAge = new Map<string, number>();
  private readonly unreachableSites = new Map<string, UnreachableSite>();

  constructor(
    /** Only nodes in this collective are listed. */
    readonly collective: string,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.nodes.size;
  }

  /** A node registered at two sites (it moved) is listed once, by its newer record. */
  put(record: RegistrationRecord, storedAt: number, site?: string): void {
    const known = this.nodes.get(record.identity);
    if (known && known.storedAt > storedAt) return;
    if (!record.collectives.includes(this.collective)) {
      if (known) this.remove(record.identity, site);
      return;
    }
    this.nodes.set(record.identity, site === undefined ? { record, storedAt } : { record, storedAt, site });
    this.sorted = undefined;
    this.factNames = undefined;
  }

  /** With a site: only when the node is listed from that site (another site's record of it is newer). */
  remove(identity: string, site?: string): void {
    if (site !== undefined && this.nodes.get(identity)?.site !== site) return;
    if (this.nodes.delete(identity)) {
      this.sorted = undefined;
      this.factNames = undefined;
    }
  }

  /** Replaces the whole index, or with a site that site's nodes (after a full re-read). */
  replace(entries: Iterable<IndexedNode>, site?: string): void {
    if (site === undefined) this.nodes.clear();
    else for (const [id, n] of this.nodes) if (n.site === site) this.nodes.delete(id);
    for (const e of entries) this.put(e.record, e.storedAt, site);
    this.sorted = undefined;
    this.factNames = undefined;
  }

  /** A site's registry's own max age (0: none). */
  setMaxAge(site: string | undefined, ms: number): void {
    if (site === undefined) this.maxAgeMs = ms;
    else this.siteMaxAge.set(site, ms);
  }

  markUnreachable(site: string, reason: string): void {
    const known = this.unreachableSites.get(site);
    this.unreachableSites.set(site, { site, reason, since: known?.since ?? this.now() });
  }

  markReachable(site: string): void {
    this.unreachableSites.delete(site);
  }

  /** The sites whose registries cannot be read now, by name. */
  unreachable(): UnreachableSite[] {
    return [...this.unreachableSites.values()].sort((a, b) => compare(a.site, b.site));
  }

  private isFresh(n: IndexedNode, now: number): boolean {
    const maxAge = n.site === undefined ? this.maxAgeMs : (this.siteMaxAge.get(n.site) ?? this.maxAgeMs);
    return maxAge <= 0 || n.storedAt >= now - maxAge;
  }

  private fresh(): IndexedNode[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => compare(a.record.identity, b.record.identity));
    const now = this.now();
    return this.sorted.every((n) => this.isFresh(n, now)) ? this.sorted : this.sorted.filter((n) => this.isFresh(n, now));
  }

  get(identity: string): IndexedNode | undefined {
    const n = this.nodes.get(identity);
    return n && this.isFresh(n, this.now()) ? n : undefined;
  }

  /** The node as the API shows it, marked when its site cannot be read now. */
  row(n: IndexedNode, facts: readonly string[]): NodeRow {
    const row = rowOf(n, facts);
    return n.site !== undefined && this.unreachableSites.has(n.site) ? { ...row, siteUnreachable: true } : row;
  }

  /** Every listed node's identity that the filter matches, sorted. */
  matching(filter: Filter): IndexedNode[] {
    const match = compileFilter(filter);
    return this.fresh().filter((n) => match(n.record));
  }

  count(filter: Filter): { count: number; total: number } {
    const all = this.fresh();
    const match = compileFilter(filter);
    let count = 0;
    for (const n of all) if (match(n.record)) count++;
    return { count, total: all.length };
  }

  query(q: NodeQuery): { total: number; offset: number; nodes: NodeRow[] } {
    let hits = this.matching(q.filter);
    const sort = q.sort ?? 'identity';
    const desc = sort.startsWith('-');
    const key = desc ? sort.slice(1) : sort;
    if (key !== 'identity' || desc) {
      const value = (n: IndexedNode): unknown =>
        key === 'identity' ? n.record.identity : key === 'lastSeen' ? n.storedAt : lookupFact(n.record.facts, key);
      const keyed = hits.map((n) => ({ n, v: value(n) }));
      keyed.sort((a, b) => {
        const c = compare(a.v, b.v);
        if (c !== 0) return desc && a.v !== undefined && b.v !== undefined ? -c : c;
        return compare(a.n.record.identity, b.n.record.identity);
      });
      hits = keyed.map((k) => k.n);
    }
    const page = hits.slice(q.offset, q.offset + q.limit);
    return { total: hits.length, offset: q.offset, nodes: page.map((n) => this.row(n, q.facts)) };
  }

  /** Every fact name seen (top-level and dotted paths one level into structured facts), sorted. */
  facts(): string[] {
    if (this.factNames) return this.factNames;
    const names = new Set<string>();
    for (const n of this.nodes.values()) {
      for (const [k, v] of Object.entries(n.record.facts)) {
        names.add(k);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const sub of Object.keys(v)) names.add(`${k}.${sub}`);
      }
      if (names.size > 5000) break;
    }
    this.factNames = [...names].sort();
    return this.factNames;
  }
}

export function rowOf(n: IndexedNode, facts: readonly string[]): NodeRow {
  const picked: Record<string, unknown> = {};
  for (const f of facts) {
    const v = lookupFact(n.record.facts, f);
    if (v !== undefined) picked[f] = v;
  }
  return {
    identity: n.record.identity,
    lastSeen: n.storedAt,
    collectives: n.record.collectives,
    agents: n.record.agents,
    classes: n.record.classes,
    facts: picked,
    ...(n.site !== undefined && { site: n.site }),
  };
}

function decodeEntry(e: KvEntry): IndexedNode | undefined {
  try {
    return { record: decodeRegistration(e.value), storedAt: e.created.getTime() };
  } catch {
    return undefined;
  }
}

export interface WatchedSite {
  /** The site's name; none with one registry. */
  name?: string;
  /** The JetStream domain its bucket is in (a leaf site's); default: the broker's own. */
  domain?: string;
}

export interface RegistryWatcherOptions {
  site?: WatchedSite;
  /** How long each JetStream request may take; default: the NATS client's. */
  timeoutMs?: number;
  /** How often the bucket is asked whether it still answers (and, while it does not, read again). */
  checkMs?: number;
}

/** Why a read failed, in words: a timeout or a domain nobody answers for says what is missing. */
function failure(err: unknown, bucket: string, o: RegistryWatcherOptions): string {
  const e = err as NatsError;
  const what =
    e.code === 'TIMEOUT'
      ? `JetStream did not answer within ${((o.timeoutMs ?? 5000) / 1000).toString()} s`
      : e.code === '503' && o.site?.domain !== undefined
        ? `no JetStream answers in domain '${o.site.domain}'`
        : e.message;
  return `registry bucket '${bucket}': ${what}`;
}

/**
 * Keeps an index current from one registry bucket: a watch (the current values, then every change), restarted
 * every `refreshMs` so nodes the broker aged out leave the list. Every `checkMs` the bucket is asked for its status:
 * a watch on a site that went away only falls silent, so a check that fails marks the site unreachable and the read
 * is tried again at each check until it succeeds. A missing bucket is retried the same way.
 */
export class RegistryWatcher {
  private watch?: QueuedIterator<KvEntry>;
  private kv?: KV;
  private timer?: NodeJS.Timeout;
  private nextRefreshAt = 0;
  private stopped = false;
  private loaded = false;
  private readyWaiters: Array<() => void> = [];
  lastError?: string;

  constructor(
    private readonly js: JetStreamHandle,
    readonly bucket: string,
    readonly index: NodeIndex,
    private readonly refreshMs: number,
    private readonly opts: RegistryWatcherOptions = {},
  ) {}

  get site(): string | undefined {
    return this.opts.site?.name;
  }

  start(): void {
    void this.cycle();
  }

  /** Resolves once the index holds the registry's contents (or the first attempt failed). */
  ready(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  private markReady(): void {
    this.loaded = true;
    for (const r of this.readyWaiters.splice(0)) r();
  }

  private get checkMs(): number {
    return Math.min(this.opts.checkMs ?? this.refreshMs, this.refreshMs);
  }

  private later(step: () => Promise<void>, ms: number): void {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => void step(), Math.max(0, ms));
  }

  /** Read again: once its current values are in (or a check passed after), the site's nodes are current. */
  private answered(): void {
    this.lastError = undefined;
    if (this.site !== undefined) this.index.markReachable(this.site);
  }

  private failed(reason: string): void {
    this.lastError = reason;
    if (this.site !== undefined) this.index.markUnreachable(this.site, reason);
    this.markReady();
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    this.stopWatch();
    try {
      await this.read();
    } catch (err) {
      this.stopWatch();
      this.failed(failure(err, this.bucket, this.opts));
      this.later(() => this.cycle(), this.checkMs);
      return;
    }
    this.nextRefreshAt = Date.now() + this.refreshMs;
    this.later(() => this.check(), this.checkMs);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    if (Date.now() >= this.nextRefreshAt || !this.kv) return this.cycle();
    try {
      await this.kv.status();
    } catch (err) {
      this.stopWatch();
      this.failed(failure(err, this.bucket, this.opts));
      this.later(() => this.cycle(), this.checkMs);
      return;
    }
    this.answered();
    this.later(() => this.check(), Math.min(this.checkMs, this.nextRefreshAt - Date.now()));
  }

  private async read(): Promise<void> {
    const { timeoutMs } = this.opts;
    const domain = this.opts.site?.domain;
    const js = registryJetStream(this.js, { ...(domain !== undefined && { domain }), ...(timeoutMs !== undefined && { timeoutMs }) });
    const kv = await js.views.kv(this.bucket, { bindOnly: true });
    const status = await kv.status();
    this.index.setMaxAge(this.site, status.ttl);
    this.kv = kv;
    const site = this.site;
    const fresh = new Map<string, IndexedNode>();
    let initial = true;
    const watch = await kv.watch({
      key: '>',
      initializedFn: () => {
        initial = false;
        this.index.replace(fresh.values(), site);
        fresh.clear();
        this.answered();
        this.markReady();
      },
    });
    this.watch = watch;
    void (async () => {
      for await (const e of watch) {
        if (e.operation !== 'PUT') {
          if (initial) fresh.delete(e.key);
          else {
            // The key is the identity, or its base64url with '=' in front.
            const id = e.key.startsWith('=') ? Buffer.from(e.key.slice(1), 'base64url').toString('utf8') : e.key;
            this.index.remove(id, site);
          }
          continue;
        }
        const node = decodeEntry(e);
        if (!node) continue;
        if (initial) fresh.set(node.record.identity, node);
        else this.index.put(node.record, node.storedAt, site);
      }
    })().catch(() => undefined);
  }

  private stopWatch(): void {
    const old = this.watch;
    this.watch = undefined;
    this.kv = undefined;
    old?.stop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopWatch();
    this.markReady();
  }
}
