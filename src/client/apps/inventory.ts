// mco inventory IDENTITY: one node's daemon statistics, agents, classes and facts.
import { plainIdentities } from '../../filter/index.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';
import type { Reply } from '../results.js';
import type { TargetOptions } from '../request.js';

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
