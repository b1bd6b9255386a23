// mco inventory IDENTITY: one node's daemon statistics, agents, classes and facts; --list-collectives: nodes per collective.
import { plainIdentities } from '../../filter/index.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';
import type { Reply, RequestStats } from '../results.js';
import { discover, sendRequest, type SendOptions, type TargetOptions } from '../request.js';
import type { OnEvent } from './events.js';
import { noNodes, requestEvents, type NoNodes } from './shared.js';

export type InventoryOutcome =
  | {
      kind: 'inventory';
      identity: string;
      /** rpcutil#daemon_stats */
      stats: Record<string, unknown>;
      /** rpcutil#inventory */
      inventory: Record<string, unknown>;
      exitCode: typeof EXIT.OK;
    }
  | { kind: 'no_response'; identity: string; exitCode: typeof EXIT.NO_RESPONSES };

export async function runInventory(
  session: ClientSession,
  identity: string,
  target: TargetOptions,
  o: { timeoutMs?: number } = {},
): Promise<InventoryOutcome> {
  if (!identity) throw new UsageError('inventory needs a node identity');
  const filter = { ...target.filter, identity: [identity] };
  if (!plainIdentities(filter)) throw new UsageError('inventory takes one plain identity and no other filters');
  const client = await session.client();
  const ask = async (action: string): Promise<Reply | undefined> => {
    const res = await client.call({
      agent: 'rpcutil',
      action,
      data: {},
      filter,
      collective: target.collective,
      targets: [identity],
      timeoutMs: o.timeoutMs ?? 5000,
    });
    return res.all()[0];
  };
  const [stats, inv] = await Promise.all([ask('daemon_stats'), ask('inventory')]);
  if (!stats || !inv) return { kind: 'no_response', identity, exitCode: EXIT.NO_RESPONSES };
  return { kind: 'inventory', identity, stats: stats.data, inventory: inv.data, exitCode: EXIT.OK };
}

/** One collective and the nodes that said they are in it, sorted. */
export type CollectiveRow = [collective: string, nodes: string[]];

export interface CollectivesReport {
  kind: 'collectives';
  /** The smallest collective first, as MCollective's report. */
  rows: CollectiveRow[];
  /** Nodes that answered rpcutil#collective_info. */
  total: number;
  stats: RequestStats;
  exitCode: number;
}

export type CollectivesOutcome = CollectivesReport | NoNodes;

/**
 * mco inventory --list-collectives: asks every discovered node for rpcutil#collective_info and counts the nodes in
 * each collective they name. Discovery runs in the targeted collective (the main one unless -T), so nodes that are
 * only in other collectives are not seen, as in MCollective.
 */
export async function runListCollectives(
  session: ClientSession,
  target: TargetOptions,
  send: Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number },
  onEvent: OnEvent = () => undefined,
): Promise<CollectivesOutcome> {
  const discovered = await discover(session, target);
  if (discovered.nodes.length === 0) return noNodes();
  const { onStart, onReply, done } = requestEvents(onEvent);
  const outcome = await sendRequest(
    session,
    target,
    discovered,
    'rpcutil',
    'collective_info',
    {},
    { ...send, timeoutMs: send.timeoutMs ?? 2000 + target.discoveryTimeoutMs, onStart, onReply },
  );
  done();
  const replies = outcome.results.ok().filter((r) => Array.isArray(r.data.collectives));
  return { kind: 'collectives', rows: collectiveRows(replies), total: replies.length, stats: outcome.stats, exitCode: outcome.exitCode };
}

export function collectiveRows(replies: ReadonlyArray<Pick<Reply, 'sender' | 'data'>>): CollectiveRow[] {
  const members = new Map<string, Set<string>>();
  for (const r of replies) {
    for (const c of r.data.collectives as unknown[]) {
      if (typeof c !== 'string') continue;
      const set = members.get(c) ?? new Set<string>();
      members.set(c, set.add(r.sender));
    }
  }
  return [...members.entries()]
    .map(([c, nodes]): CollectiveRow => [c, [...nodes].sort()])
    .sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
}
