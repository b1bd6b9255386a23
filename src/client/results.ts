// Replies to one request, keyed by node: duplicates and strangers are noticed, not double counted.
export interface Reply {
  sender: string;
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
  /** The node's clock when it replied, ms since the epoch. */
  time: number;
  /** When the reply arrived, ms after the request was published. */
  elapsedMs: number;
}

/** The figures of one request, as the stats block and `--json` show them. */
export interface RequestStats {
  requestId: string;
  /** Undefined when no discovery was done (ping, or a broadcast without discovery). */
  discovered?: number;
  responses: number;
  ok: number;
  failed: number;
  startTime: Date;
  discoveryMs: number;
  agentMs: number;
  totalMs: number;
  noResponse: string[];
  unexpected: string[];
}

export class ResultSet {
  private readonly replies = new Map<string, Reply>();
  private readonly expected?: ReadonlySet<string>;
  private expectedSeen = 0;
  duplicates = 0;
  invalidReplies = 0;
  lastInvalid?: string;
  lastReplyAt = 0;
  /** Longest pause between two replies so far, ms: how bursty this fleet and broker are right now. */
  longestGap = 0;
  /** Wall-clock times, ms since the epoch. */
  startedAt = 0;
  finishedAt = 0;
  /** Monotonic start, for sub-millisecond reply timings. */
  private startedMono = 0;

  constructor(
    readonly requestId: string,
    expected?: readonly string[],
  ) {
    if (expected) this.expected = new Set(expected);
  }

  markStart(): void {
    this.startedAt = Date.now();
    this.startedMono = performance.now();
  }
  markFinished(): void {
    this.finishedAt = Date.now();
  }
  elapsed(): number {
    return performance.now() - this.startedMono;
  }

  /** Returns false for a duplicate. */
  add(reply: Reply): boolean {
    if (this.replies.has(reply.sender)) {
      this.duplicates++;
      return false;
    }
    this.replies.set(reply.sender, reply);
    if (this.expected?.has(reply.sender)) this.expectedSeen++;
    const now = Date.now();
    if (this.lastReplyAt > 0) this.longestGap = Math.max(this.longestGap, now - this.lastReplyAt);
    this.lastReplyAt = now;
    return true;
  }

  invalid(reason: string): void {
    this.invalidReplies++;
    this.lastInvalid = reason;
  }

  has(sender: string): boolean {
    return this.replies.has(sender);
  }

  get size(): number {
    return this.replies.size;
  }

  expectedAnswered(): number {
    return this.expected ? this.expectedSeen : this.replies.size;
  }

  all(): Reply[] {
    return [...this.replies.values()];
  }

  get discovered(): readonly string[] | undefined {
    return this.expected ? [...this.expected] : undefined;
  }

  ok(): Reply[] {
    return this.all().filter((r) => r.statuscode === 0);
  }

  failed(): Reply[] {
    return this.all().filter((r) => r.statuscode !== 0);
  }

  noResponse(): string[] {
    if (!this.expected) return [];
    return [...this.expected].filter((n) => !this.replies.has(n)).sort();
  }

  unexpected(): string[] {
    if (!this.expected) return [];
    return [...this.replies.keys()].filter((n) => !this.expected!.has(n)).sort();
  }
}
