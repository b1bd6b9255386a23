// Broadcast ("mc") discovery: ask every node to evaluate the filter and listen for who says yes.
// The wait is adaptive: it ends once replies have stopped for the quiet window (the first reply may take up to
// the whole discovery timeout). A broker round trip before ending makes sure no reply was merely unread.
import { DISCOVERY_AGENT } from '../../protocol/index.js';
import type { RpcClient } from '../rpc-client.js';
import { ExpectFromRegistry } from './expect.js';
import type { DiscoveryMethod, DiscoveryRequest } from './method.js';
import { FILTER_KINDS, type DiscoveryPlugin } from './methods.js';

const NAME = 'mc';

export class BroadcastDiscovery implements DiscoveryMethod {
  readonly name = NAME;

  constructor(private readonly client: RpcClient) {}

  async discover(req: DiscoveryRequest): Promise<string[]> {
    const expect = req.options.expect !== undefined ? Number(req.options.expect) : undefined;
    const results = await this.client.call({
      agent: DISCOVERY_AGENT,
      action: 'ping',
      data: {},
      filter: req.filter,
      collective: req.collective,
      timeoutMs: req.timeoutMs,
      quietWindowMs: req.quietWindowMs,
      expectCount: Number.isFinite(expect) ? expect : undefined,
      onReply: req.onNode && ((reply) => req.onNode!(reply.sender)),
    });
    return results
      .all()
      .map((r) => r.sender)
      .sort();
  }
}

export const broadcastDiscovery: DiscoveryPlugin = {
  name: NAME,
  aliases: ['broadcast'],
  capabilities: { filters: FILTER_KINDS, asksNodes: true },
  create: async (ctx) =>
    new ExpectFromRegistry(new BroadcastDiscovery(await ctx.client()), {
      registry: () => ctx.registry(),
      byDefault: ctx.expectFromRegistry,
      warn: (line) => ctx.warn(line),
    }),
};
