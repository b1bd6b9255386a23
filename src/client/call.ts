// One RPC request as a program sees it: the replies as an async iterable while they arrive, then the finished
// result set with the stats, the DDL's aggregate summaries and the nodes that never answered.
import { aggregate, type AggregateResult } from '../ddl/index.js';
import type { Discovered, statsOf } from './request.js';
import type { Reply } from './results.js';

/** The figures of one request, as `mco rpc`'s stats block and `--json` show them. */
export type RequestStats = ReturnType<typeof statsOf>;

/** One node's answer. `data` holds the outputs it sent; a failed reply may leave any of them out. */
export interface RpcReply<O = Record<string, unknown>> extends Omit<Reply, 'data'> {
  data: Partial<O>;
}

export interface RpcProgress {
  /** `discovered`: the targets are known and the request is about to go out; `reply`: one more node answered. */
  stage: 'discovered' | 'reply';
  /** Nodes the request goes to (the expected replies). */
  discovered: number;
  received: number;
  ok: number;
  failed: number;
}

export interface RpcResult<O = Record<string, unknown>> {
  agent: string;
  action: string;
  /** Undefined when nothing was sent (no node discovered). */
  requestId?: string;
  /** How the targets were found: the nodes, the method (`identity` when the filter named plain identities) and its time. */
  discovery: Discovered;
  /** Every reply, sorted by sender. */
  replies: RpcReply<O>[];
  ok: RpcReply<O>[];
  failed: RpcReply<O>[];
  /** Discovered nodes that did not answer, sorted. */
  noResponse: string[];
  /** Nodes that answered without being discovered, sorted. */
  unexpected: string[];
  /** Replies that failed verification or decoding, and were left out. */
  invalidReplies: number;
  /** The figures of `mco rpc`'s stats block. */
  stats: RequestStats;
  /** The DDL's aggregate summaries over the successful replies; `renderAggregate` prints one as `mco rpc` does. */
  summaries: AggregateResult[];
  /** The exit code `mco rpc` would end with: 0 all answered and passed, 1 nothing discovered, 2 some failed or silent, 3 none answered. */
  exitCode: number;
}

/**
 * A request in flight. Iterate it for the replies as they arrive (once; the iteration ends when the request is
 * done, and throws what the request failed with), or await `result()` for the finished result set, or both.
 * Leaving the loop early does not stop the request: abort its signal for that.
 */
export class RpcCall<O = Record<string, unknown>> implements AsyncIterable<RpcReply<O>> {
  private readonly queue: RpcReply<O>[] = [];
  private finished = false;
  private failure: { error: unknown } | undefined;
  private notify?: () => void;
  private readonly done: Promise<RpcResult<O>>;

  constructor(run: (push: (reply: RpcReply<O>) => void) => Promise<RpcResult<O>>) {
    this.done = run((reply) => {
      this.queue.push(reply);
      this.wake();
    });
    // Handled here, so a request that nobody awaits does not become an unhandled rejection.
    this.done.then(
      () => this.end(),
      (error: unknown) => this.end({ error }),
    );
  }

  /** The finished result set; rejects with what the request failed with (AbortError, RequestError, …). */
  result(): Promise<RpcResult<O>> {
    return this.done;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RpcReply<O>> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.finished) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.notify = resolve));
    }
  }

  private end(failure?: { error: unknown }): void {
    this.failure = failure;
    this.finished = true;
    this.wake();
  }

  private wake(): void {
    const notify = this.notify;
    this.notify = undefined;
    notify?.();
  }
}

const bySender = (a: Reply, b: Reply) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : 0);

/** Summaries as `mco rpc` prints them: the DDL's aggregate functions over the successful replies. */
export function summariesOf(ddl: Parameters<typeof aggregate>[0], action: string, replies: readonly Reply[]): AggregateResult[] {
  if (!ddl.actions[action]?.aggregate?.length) return [];
  return aggregate(
    ddl,
    action,
    replies.filter((r) => r.statuscode === 0).map((r) => r.data),
  );
}

export function sortedReplies<O>(replies: readonly Reply[]): RpcReply<O>[] {
  return [...replies].sort(bySender) as RpcReply<O>[];
}
