// Registry discovery: evaluate the filter, every kind of it, against the records nodes keep in the registry.
// No broadcast and no waiting: the answer is as fresh as the records (a node re-registers at once when its facts
// change, and every `registerinterval` seconds; a record older than the registry's max age counts as gone).
import { compileFilter, type Filter } from '../../filter/index.js';
import { decodeRegistration, type RegistrationRecord } from '../../protocol/index.js';
import { DiscoveryError, type DiscoveryMethod, type DiscoveryRequest, type UnansweredSite } from './method.js';
import { FILTER_KINDS, type DiscoveryPlugin } from './methods.js';

const NAME = 'registry';

/** One stored record: its bytes and when the broker stored it (milliseconds since the epoch, broker clock). */
export interface RegistryEntry {
  data: Uint8Array;
  storedAt: number;
}

export interface ScanOptions {
  /** The collective asked about: a registry of several sites reads only the site of that name, if there is one. */
  collective?: string;
}

/** Where registration records are read from (a JetStream key-value bucket, in practice; one per site). */
export interface RegistrySource {
  /**
   * Calls `visit` with the latest record of every node; resolves with the registry's max age in ms (0: none) and,
   * for a registry of several sites, the sites that did not answer (their nodes were not visited).
   */
  scan(visit: (entry: RegistryEntry) => void, opts?: ScanOptions): Promise<{ maxAgeMs: number; unanswered?: UnansweredSite[] }>;
  /** The latest record of one node, if any; with the sites that did not answer, where the record may be. */
  get(identity: string): Promise<{ record?: RegistryEntry; maxAgeMs: number; unanswered?: UnansweredSite[] }>;
}

export interface RegisteredNode {
  record: RegistrationRecord;
  /** When the registry stored the record (ms since the epoch). */
  storedAt: number;
}

export interface RegistryQuery {
  filter: Filter;
  collective: string;
  /** Narrower than the registry's own max age, in ms; records older than either are left out. */
  maxAgeMs?: number;
  now?: number;
}

export interface RegistryAnswer {
  nodes: RegisteredNode[];
  /** Matching records too old to count, and records that are not registration records at all. */
  stale: number;
  invalid: number;
  maxAgeMs: number;
  /** Sites whose registries did not answer: their matching nodes are not in `nodes`. */
  unanswered: UnansweredSite[];
}

/** Any failure of the source becomes one DiscoveryError line naming the registry. */
async function reading<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    if (err instanceof DiscoveryError) throw err;
    throw new DiscoveryError('unavailable', `registry: ${(err as Error).message}`);
  }
}

function freshAfter(maxAgeMs: number, narrower: number | undefined, now: number): number {
  const limits = [maxAgeMs, narrower ?? 0].filter((ms) => ms > 0);
  return limits.length ? now - Math.min(...limits) : -Infinity;
}

/** The registered nodes in `collective` that match the filter, sorted by identity, one per identity (the newest). */
export async function queryRegistry(source: RegistrySource, q: RegistryQuery): Promise<RegistryAnswer> {
  const match = compileFilter(q.filter);
  const byIdentity = new Map<string, RegisteredNode>();
  let invalid = 0;
  // Records are decoded and matched as they stream in, so only the matching ones are held.
  const { maxAgeMs, unanswered = [] } = await reading(() =>
    source.scan(
      (entry) => {
        let record: RegistrationRecord;
        try {
          record = decodeRegistration(entry.data);
        } catch {
          invalid++;
          return;
        }
        // The record has the shape filters evaluate: identity, facts, classes, agents.
        if (!record.collectives.includes(q.collective) || !match(record)) return;
        const known = byIdentity.get(record.identity);
        if (!known || known.storedAt < entry.storedAt) byIdentity.set(record.identity, { record, storedAt: entry.storedAt });
      },
      { collective: q.collective },
    ),
  );
  const oldest = freshAfter(maxAgeMs, q.maxAgeMs, q.now ?? Date.now());
  const nodes: RegisteredNode[] = [];
  let stale = 0;
  for (const node of byIdentity.values()) {
    if (node.storedAt < oldest) stale++;
    else nodes.push(node);
  }
  nodes.sort((a, b) => (a.record.identity < b.record.identity ? -1 : a.record.identity > b.record.identity ? 1 : 0));
  return { nodes, stale, invalid, maxAgeMs, unanswered };
}

/** The line that names a site whose registry did not answer. */
export const unansweredLine = (u: UnansweredSite): string => `registry: site ${u.site} did not answer (${u.reason})`;

/** One node's record, unless it is missing or older than the max age. */
export async function registeredNode(source: RegistrySource, identity: string, now = Date.now()): Promise<RegisteredNode | undefined> {
  return (await lookUpNode(source, identity, now)).node;
}

/** One node's record as `registeredNode`, and the sites whose registries did not answer (it may be at one of them). */
export async function lookUpNode(
  source: RegistrySource,
  identity: string,
  now = Date.now(),
): Promise<{ node?: RegisteredNode; unanswered: UnansweredSite[] }> {
  const { record, maxAgeMs, unanswered = [] } = await reading(() => source.get(identity));
  if (!record || record.storedAt < freshAfter(maxAgeMs, undefined, now)) return { unanswered };
  try {
    const decoded = decodeRegistration(record.data);
    return decoded.identity === identity ? { node: { record: decoded, storedAt: record.storedAt }, unanswered } : { unanswered };
  } catch {
    return { unanswered };
  }
}

/** `--do max_age=SECONDS`: leave out records older than this, when the registry's own max age is too loose. */
export function maxAgeOption(options: Readonly<Record<string, string>>): number | undefined {
  const raw = options.max_age;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new DiscoveryError('bad_source', `--do max_age expects a number of seconds above 0, got '${raw}'`);
  }
  return seconds * 1000;
}

export class RegistryDiscovery implements DiscoveryMethod {
  readonly name = NAME;

  constructor(
    private readonly source: RegistrySource,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  /** The nodes of the sites that answered; each site that did not is named (warn) and told (onUnanswered). */
  async discover(req: DiscoveryRequest): Promise<string[]> {
    const answer = await queryRegistry(this.source, {
      filter: req.filter,
      collective: req.collective,
      maxAgeMs: maxAgeOption(req.options),
    });
    for (const u of answer.unanswered) {
      this.warn(unansweredLine(u));
      req.onUnanswered?.(u);
    }
    return answer.nodes.map((n) => n.record.identity);
  }
}

export const registryDiscovery: DiscoveryPlugin = {
  name: NAME,
  aliases: [],
  // Records hold facts, classes and agents; data plugins answer only on the node, at the time of the request.
  capabilities: { filters: FILTER_KINDS.filter((k) => k !== 'data'), asksNodes: false },
  create: async (ctx) => new RegistryDiscovery(await ctx.registry(), (line) => ctx.warn(line)),
};
