// The requests runs are driven with, over the RPC client: status to many nodes, runonce to one node at a time.
import { emptyFilter } from '../../../filter/index.js';
import { textOf } from '../../render/inspect.js';
import type { ClientSession } from '../../session.js';
import type { NodeStatus, RunsClient, Trigger } from './runs.js';

export interface RpcRunsOptions {
  collective: string;
  /** How long one status round waits for its slowest node. */
  statusTimeoutMs: number;
  /** How long a runonce waits for its node (the agent may fetch git first). */
  runonceTimeoutMs: number;
  ttl: number;
  /** What every runonce asks for (force, tags, noop, revision…). */
  runonceData: Record<string, unknown>;
}

export function statusOf(data: Record<string, unknown>): NodeStatus {
  const status: NodeStatus = { applying: data.applying === true, enabled: data.enabled !== false, lastrun: Number(data.lastrun) || 0 };
  // Nodes whose agent follows the runs it starts say so; older agents leave these out.
  if (typeof data.run_state === 'string' && data.run_state !== 'none') {
    status.run = {
      initiatedAt: Number(data.run_initiated_at) || 0,
      ended: data.run_state === 'ended',
      exitCode: typeof data.run_exit_code === 'number' ? data.run_exit_code : -1,
      error: typeof data.run_error === 'string' ? data.run_error : '',
    };
  }
  return status;
}

export function rpcRunsClient(session: ClientSession, o: RpcRunsOptions): RunsClient {
  // Nodes are addressed by identity, so no filter is needed to pick them.
  const filter = emptyFilter();
  return {
    async status(hosts, onReply) {
      if (hosts.length === 0) return;
      const client = await session.client();
      await client.call({
        agent: 'puppet',
        action: 'status',
        data: {},
        filter,
        collective: o.collective,
        targets: hosts,
        direct: true,
        timeoutMs: o.statusTimeoutMs,
        ttl: o.ttl,
        onReply: (r) => {
          if (r.statuscode === 0) onReply(r.sender, statusOf(r.data));
        },
      });
    },
    async runonce(host): Promise<Trigger | undefined> {
      const client = await session.client();
      const results = await client.call({
        agent: 'puppet',
        action: 'runonce',
        data: o.runonceData,
        filter,
        collective: o.collective,
        targets: [host],
        direct: true,
        timeoutMs: o.runonceTimeoutMs,
        ttl: o.ttl,
      });
      const reply = results.all().find((r) => r.sender === host);
      if (!reply) return undefined;
      const ok = reply.statuscode === 0;
      return {
        ok,
        message: ok ? textOf(reply.data.summary ?? reply.statusmsg) : reply.statusmsg,
        initiatedAt: Number(reply.data.initiated_at) || 0,
      };
    },
  };
}
