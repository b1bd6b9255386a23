// A steady stream of rpcutil pings to known nodes, for the tests and the benchmark that take brokers away under it:
// which requests got every reply, which replies came twice, and when a group of nodes answered again.
import { emptyFilter } from '../filter/index.js';
import { InsecureProvider } from '../security/index.js';
import { RpcClient } from '../client/rpc-client.js';
import { NatsConnector } from '../transport/nats.js';

export interface RequestStreamOptions {
  /** Broker URLs of the client's connection. */
  servers: string[];
  /** The identities every request is addressed to, all expected to answer. */
  targets: readonly string[];
  /** A new request every this many ms (default 100); each waits up to timeoutMs (default 3000) for its replies. */
  everyMs?: number;
  timeoutMs?: number;
  collective?: string;
  /** The client connection's lame-duck spread (default 0: the stream moves at once, so only the nodes are measured). */
  lameDuckSpreadMs?: number;
}

export interface StreamedRequest {
  sentAt: number;
  /** When each target answered, in ms since sentAt. */
  answered: Map<string, number>;
  /** Replies received beyond the first from a node. */
  duplicates: number;
  done: boolean;
}

export interface StreamReport {
  requests: number;
  /** Requests every target answered. */
  complete: number;
  expectedReplies: number;
  replies: number;
  duplicates: number;
  /** The first few requests some target did not answer: when they were sent (ms after the first) and who was missing. */
  incomplete: Array<{ atMs: number; missing: string[] }>;
}

export class RequestStream {
  readonly sent: StreamedRequest[] = [];
  private readonly connector: NatsConnector;
  private readonly client: RpcClient;
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: RequestStreamOptions) {
    this.connector = new NatsConnector({
      servers: opts.servers,
      name: 'request stream',
      lameDuckSpreadMs: opts.lameDuckSpreadMs ?? 0,
      maxReconnectWaitMs: 500,
    });
    this.client = new RpcClient(this.connector, new InsecureProvider(), {
      sender: `stream${process.pid}`,
      ttl: 60,
      maxMessageSize: 1 << 20,
      directAddressingThreshold: 0,
    });
  }

  async start(): Promise<this> {
    await this.connector.connect();
    this.timer = setInterval(() => this.fire(), this.opts.everyMs ?? 100);
    return this;
  }

  private fire(): void {
    const request: StreamedRequest = { sentAt: Date.now(), answered: new Map(), duplicates: 0, done: false };
    this.sent.push(request);
    const p = this.client
      .call({
        agent: 'rpcutil',
        action: 'ping',
        data: {},
        filter: emptyFilter(),
        collective: this.opts.collective ?? 'mcollective',
        targets: this.opts.targets,
        timeoutMs: this.opts.timeoutMs ?? 3000,
        onReply: (r) => request.answered.set(r.sender, Date.now() - request.sentAt),
      })
      .then((results) => {
        request.duplicates = results.duplicates;
      })
      .catch(() => undefined)
      .finally(() => {
        request.done = true;
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  /**
   * Ms from `since` until every one of `nodes` had answered a request sent after it (each node's first such answer,
   * the latest of them); undefined while one has not.
   */
  recoveredAfter(since: number, nodes: readonly string[]): number | undefined {
    let latest = 0;
    for (const n of nodes) {
      let first: number | undefined;
      for (const r of this.sent) {
        const at = r.sentAt >= since ? r.answered.get(n) : undefined;
        if (at !== undefined) first = Math.min(first ?? Infinity, r.sentAt + at - since);
      }
      if (first === undefined) return undefined;
      latest = Math.max(latest, first);
    }
    return latest;
  }

  /**
   * Each of `nodes`' first answer to a request sent after `since`, in ms after it, sorted; a node that has not
   * answered yet is left out (so the length says how many have).
   */
  answerTimesAfter(since: number, nodes: readonly string[]): number[] {
    const times: number[] = [];
    for (const n of nodes) {
      let first = Infinity;
      for (const r of this.sent) {
        const at = r.sentAt >= since ? r.answered.get(n) : undefined;
        if (at !== undefined) first = Math.min(first, r.sentAt + at - since);
      }
      if (first !== Infinity) times.push(first);
    }
    return times.sort((a, b) => a - b);
  }

  /** Stops sending, waits for the requests in flight, and sums them up. */
  async stop(): Promise<StreamReport> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    await this.connector.close(1000);
    const expected = this.opts.targets.length;
    return {
      requests: this.sent.length,
      complete: this.sent.filter((r) => r.answered.size === expected).length,
      expectedReplies: this.sent.length * expected,
      replies: this.sent.reduce((sum, r) => sum + r.answered.size, 0),
      duplicates: this.sent.reduce((sum, r) => sum + r.duplicates, 0),
      incomplete: this.sent
        .filter((r) => r.answered.size < expected)
        .slice(0, 10)
        .map((r) => ({
          atMs: r.sentAt - (this.sent[0]?.sentAt ?? 0),
          missing: this.opts.targets.filter((t) => !r.answered.has(t)).slice(0, 10),
        })),
    };
  }
}
