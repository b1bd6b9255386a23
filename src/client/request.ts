// One RPC request as every application makes it: discover, narrow, send, collect, measure.
import { checkFilterData, FilterError, plainIdentities, usesDataPlugins, type Filter } from '../filter/index.js';
import type { Reply, RequestStats, ResultSet } from './results.js';
import type { ClientSession } from './session.js';
import { limitNodes, countOf } from './selection.js';
import { haltCode } from './exit-codes.js';
import { DISCOVERY_METHODS, type UnansweredSite } from './discovery/index.js';

export interface TargetOptions {
  filter: Filter;
  collective: string;
  discoveryMethod: string;
  discoveryOptions: Record<string, string>;
  discoveryTimeoutMs: number;
  quietWindowMs: number;
  limit?: string;
  limitSeed?: number;
  limitMethod: 'first' | 'random';
  /** Told as discovery goes (MCollective's `-v` line); not told when plain identities need no discovery. */
  onDiscovery?: DiscoveryProgress;
}

export interface DiscoveryProgress {
  start(method: string, timeoutMs: number): void;
  found(identity: string): void;
  /** How many nodes were found; undefined when discovery failed. */
  end(count: number | undefined): void;
}

export interface SendOptions {
  timeoutMs: number;
  ttl: number;
  batch?: string;
  batchSleepMs: number;
  noResults: boolean;
  onReply?(reply: Reply, expected: number): void;
  onStart?(expected: number): void;
  /** Stops publishing further batches and ends the wait for replies. */
  signal?: AbortSignal;
  /** The person a service sends the request for (envelope `on_behalf_of`). */
  onBehalfOf?: string;
  /**
   * One message per node even above the direct addressing threshold. Default: when the discovery method did not
   * ask the nodes, since the nodes it found may not all match the filter.
   */
  direct?: boolean;
}

export interface Discovered {
  nodes: string[];
  method: string;
  elapsedMs: number;
  /** Sites whose registries did not answer (registry discovery over `registry_sites`): their nodes are not in `nodes`. */
  unanswered: UnansweredSite[];
}

/**
 * Data plugin calls in -S are checked against the data plugins' DDLs (unknown plugin, field, bad argument: an error
 * with a caret), and need a discovery method that asks the nodes, since only a node can answer them.
 */
export function checkDataCalls(session: Pick<ClientSession, 'dataDDLs'>, filter: Filter, method: string): void {
  if (!usesDataPlugins(filter)) return;
  if (session.dataDDLs) checkFilterData(filter, session.dataDDLs.catalog());
  if (!DISCOVERY_METHODS.supports(method, 'data')) {
    const capable = DISCOVERY_METHODS.plugins.filter((p) => p.capabilities.filters.includes('data')).map((p) => `--dm ${p.name}`);
    throw new FilterError(
      'FILTER_DATA_UNSUPPORTED',
      `${DISCOVERY_METHODS.canonical(method)} discovery cannot evaluate data plugin calls such as puppet() or fact('…'): only the nodes can; use ${capable.join(' or ')}`,
      '',
      0,
      '-S',
    );
  }
}

export async function discover(session: ClientSession, t: TargetOptions): Promise<Discovered> {
  checkDataCalls(session, t.filter, t.discoveryMethod);
  const direct = plainIdentities(t.filter);
  let nodes: string[];
  let method = t.discoveryMethod;
  let started = performance.now();
  const unanswered: UnansweredSite[] = [];
  if (direct && DISCOVERY_METHODS.asksNodes(method)) {
    // Plain identities need no network round: address them directly.
    nodes = [...new Set(direct)].sort();
    method = 'identity';
  } else {
    const dm = await session.discoveryMethod(method);
    const progress = t.onDiscovery;
    // Connecting to the broker is not discovery: time only the search itself.
    started = performance.now();
    progress?.start(dm.name, t.discoveryTimeoutMs);
    try {
      nodes = await dm.discover({
        filter: t.filter,
        collective: t.collective,
        timeoutMs: t.discoveryTimeoutMs,
        quietWindowMs: t.quietWindowMs,
        options: t.discoveryOptions,
        ...(progress && { onNode: (identity: string) => progress.found(identity) }),
        onUnanswered: (site) => unanswered.push(site),
      });
    } catch (err) {
      progress?.end(undefined);
      throw err;
    }
    progress?.end(nodes.length);
  }
  if (t.limit !== undefined) nodes = limitNodes(nodes, t.limit, t.limitMethod, t.limitSeed);
  return { nodes, method, elapsedMs: performance.now() - started, unanswered };
}

export interface RequestOutcome {
  results: ResultSet;
  discovered: Discovered;
  stats: RequestStats;
  exitCode: number;
}

/** Sends agent#action to the discovered nodes and gathers what comes back. */
export async function sendRequest(
  session: ClientSession,
  t: TargetOptions,
  discovered: Discovered,
  agent: string,
  action: string,
  data: Record<string, unknown>,
  s: SendOptions,
): Promise<RequestOutcome> {
  const client = await session.client();
  const nodes = discovered.nodes;
  s.onStart?.(nodes.length);
  const batchSize = s.batch !== undefined ? countOf(s.batch, nodes.length, '--batch') : undefined;
  const results = await client.call({
    agent,
    action,
    data,
    filter: t.filter,
    collective: t.collective,
    targets: nodes,
    // Nodes found some other way than broadcast may not all match the filter: address each one.
    direct: s.direct ?? !DISCOVERY_METHODS.asksNodes(discovered.method),
    timeoutMs: s.timeoutMs,
    ttl: s.ttl,
    batch: batchSize !== undefined ? { size: batchSize, sleepMs: s.batchSleepMs } : undefined,
    noReplies: s.noResults,
    onReply: s.onReply ? (r) => s.onReply!(r, nodes.length) : undefined,
    signal: s.signal,
    onBehalfOf: s.onBehalfOf,
  });
  const stats = statsOf(results, discovered.elapsedMs, nodes.length);
  return {
    results,
    discovered,
    stats,
    exitCode: haltCode({ ...stats, noResponse: stats.noResponse.length, unanswered: discovered.unanswered.length }),
  };
}

export function statsOf(results: ResultSet, discoveryMs: number, discovered?: number): RequestStats {
  const replies = results.all();
  const failed = replies.filter((r) => r.statuscode !== 0).length;
  const agentMs = Math.max(0, results.finishedAt - results.startedAt);
  return {
    requestId: results.requestId,
    discovered,
    responses: replies.length,
    ok: replies.length - failed,
    failed,
    startTime: new Date(results.startedAt - discoveryMs),
    discoveryMs,
    agentMs,
    totalMs: discoveryMs + agentMs,
    noResponse: results.noResponse(),
    unexpected: results.unexpected(),
  };
}
