// The node list's in-memory index of the registry: every node's last record, kept current by watching the registry
// bucket and re-read whole now and then (entries the broker ages out send no event). Filters are evaluated with the
// filter module's own compiled predicates, so the page shows what `mco find --dm registry` would.
import type { KV, KvEntry, QueuedIterator } from 'nats';
import { compileFilter, lookupFact, type Filter } from '../filter/index.js';
import { decodeRegistration, type RegistrationRecord } from '../protocol/index.js';
import type { JetStreamHandle } from '../transport/jetstream.js';

export interface IndexedNode {
  record: RegistrationRecord;
  /** When the registry stored it, ms since the epoch (broker clock). */
  storedAt: number;
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
  /** Records older than this (the registry's max age) count as gone; 0: none. */
  maxAgeMs = 0;

  constructor(
    /** Only nodes in this collective are listed. */
    readonly collective: string,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.nodes.size;
  }

  put(record: RegistrationRecord, storedAt: number): void {
    const known = this.nodes.get(record.identity);
    if (known && known.storedAt > storedAt) return;
    if (!record.collectives.includes(this.collective)) {
      if (known) this.remove(record.identity);
      return;
    }
    this.nodes.set(record.identity, { record, storedAt });
    this.sorted = undefined;
    this.factNames = undefined;
  }

  remove(identity: string): void {
    if (this.nodes.delete(identity)) {
      this.sorted = undefined;
      this.factNames = undefined;
    }
  }

  /** Replaces the whole index (after a full re-read). */
  replace(entries: Iterable<IndexedNode>): void {
    this.nodes.clear();
    for (const e of entries) this.put(e.record, e.storedAt);
    this.sorted = undefined;
    this.factNames = undefined;
  }

  private fresh(): IndexedNode[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => compare(a.record.identity, b.record.identity));
    if (this.maxAgeMs <= 0) return this.sorted;
    const oldest = this.now() - this.maxAgeMs;
    return this.sorted.some((n) => n.storedAt < oldest) ? this.sorted.filter((n) => n.storedAt >= oldest) : this.sorted;
  }

  get(identity: string): IndexedNode | undefined {
    const n = this.nodes.get(identity);
    if (!n || (this.maxAgeMs > 0 && n.storedAt < this.now() - this.maxAgeMs)) return undefined;
    return n;
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
    return { total: hits.length, offset: q.offset, nodes: page.map((n) => rowOf(n, q.facts)) };
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
  };
}

function decodeEntry(e: KvEntry): IndexedNode | undefined {
  try {
    return { record: decodeRegistration(e.value), storedAt: e.created.getTime() };
  } catch {
    return undefined;
  }
}

/**
 * Keeps an index current from the registry bucket: a watch (the current values, then every change), restarted
 * every `refreshMs` so nodes the broker aged out leave the list. A missing bucket is retried.
 */
export class RegistryWatcher {
  private watch?: QueuedIterator<KvEntry>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private loaded = false;
  private readyWaiters: Array<() => void> = [];
  lastError?: string;

  constructor(
    private readonly js: JetStreamHandle,
    private readonly bucket: string,
    readonly index: NodeIndex,
    private readonly refreshMs: number,
  ) {}

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

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.read();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.markReady();
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.restart(), this.refreshMs);
  }

  private async restart(): Promise<void> {
    const old = this.watch;
    this.watch = undefined;
    old?.stop();
    await this.cycle();
  }

  private async read(): Promise<void> {
    let kv: KV;
    try {
      kv = await this.js.client().views.kv(this.bucket, { bindOnly: true });
      const status = await kv.status();
      this.index.maxAgeMs = status.ttl;
    } catch (err) {
      throw new Error(`registry bucket '${this.bucket}': ${(err as Error).message}`, { cause: err });
    }
    const fresh = new Map<string, IndexedNode>();
    let initial = true;
    const watch = await kv.watch({
      key: '>',
      initializedFn: () => {
        initial = false;
        this.index.replace(fresh.values());
        fresh.clear();
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
            this.index.remove(id);
          }
          continue;
        }
        const node = decodeEntry(e);
        if (!node) continue;
        if (initial) fresh.set(node.record.identity, node);
        else this.index.put(node.record, node.storedAt);
      }
    })().catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watch?.stop();
    this.markReady();
  }
}
