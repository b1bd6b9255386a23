// Sends one request (broadcast, direct or in batches) and collects its replies into a result set.
import type { Filter } from '../filter/index.js';
import {
  PROTOCOL,
  ProtocolError,
  buildRequestFrame,
  checkSecureReply,
  decodeFrame,
  decodeReply,
  encodeFrame,
  newRequestId,
  prepareCodecs,
  replySubject,
  type RequestEnvelope,
} from '../protocol/index.js';
import type { SecurityProvider } from '../security/index.js';
import type { Connector, InboundMessage } from '../transport/index.js';
import { ResultSet, type Reply } from './results.js';

export interface ClientSettings {
  /** This client process, as nodes address their replies. */
  sender: string;
  ttl: number;
  maxMessageSize: number;
  directAddressingThreshold: number;
  /** The person every request is sent for (envelope `on_behalf_of`) unless a call names one. */
  onBehalfOf?: string;
}

export interface CallOptions {
  agent: string;
  action: string;
  data: Record<string, unknown>;
  filter: Filter;
  collective: string;
  /** Identities expected to answer; undefined means broadcast to whoever matches the filter. */
  targets?: readonly string[];
  /** Send one message per target even above the direct addressing threshold. */
  direct?: boolean;
  timeoutMs: number;
  /** Without targets: finish once replies have stopped for this long (0 waits for the whole timeout). */
  quietWindowMs?: number;
  /** Without targets: finish as soon as this many have answered. */
  expectCount?: number;
  ttl?: number;
  batch?: { size: number; sleepMs: number };
  /** Fire and forget: publish, do not wait for replies. */
  noReplies?: boolean;
  onReply?(reply: Reply): void;
  signal?: AbortSignal;
  /** The person a service sends the request for (envelope `on_behalf_of`). */
  onBehalfOf?: string;
}

/** A request's bytes and where its replies go: the frame records the address, the connector carries it. */
interface Outgoing {
  frame: Uint8Array;
  replyTo: string;
}

export class RpcClient {
  constructor(
    private readonly connector: Connector,
    private readonly security: SecurityProvider,
    private readonly settings: ClientSettings,
  ) {
    prepareCodecs();
  }

  /** A client on the same connection whose every request names `person` as its `on_behalf_of`. */
  onBehalfOf(person: string): RpcClient {
    return new RpcClient(this.connector, this.security, { ...this.settings, onBehalfOf: person });
  }

  buildRequest(opts: CallOptions, id: string): RequestEnvelope {
    const onBehalfOf = opts.onBehalfOf ?? this.settings.onBehalfOf;
    return {
      protocol: PROTOCOL.request,
      id,
      sender: this.settings.sender,
      caller: this.security.callerId(),
      collective: opts.collective,
      agent: opts.agent,
      ttl: opts.ttl ?? this.settings.ttl,
      time: Date.now(),
      filter: opts.filter,
      message: { agent: opts.agent, action: opts.action, data: opts.data },
      ...(onBehalfOf !== undefined ? { on_behalf_of: onBehalfOf } : {}),
    };
  }

  async call(opts: CallOptions): Promise<ResultSet> {
    const id = newRequestId();
    const results = new ResultSet(id, opts.targets);
    const wake = new Waker();
    const inbox = opts.noReplies
      ? undefined
      : await this.connector.openInbox(opts.collective, this.settings.sender, id, (msg) => {
          const reply = this.decode(msg, id, results);
          if (reply && results.add(reply)) {
            opts.onReply?.(reply);
            wake.wake();
          }
        });
    const replyTo = inbox?.address ?? replySubject(opts.collective, this.settings.sender, id);
    // One request text for every message of this call (batches reuse the id, as MCollective's do).
    const frame = encodeFrame(
      buildRequestFrame(this.security.wrapRequest(JSON.stringify(this.buildRequest(opts, id))), this.settings.sender, replyTo),
    );
    // An abort ends the wait at once, not at the next reply or the timeout.
    const onAbort = () => wake.wake();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      results.markStart();
      if (opts.targets && opts.batch) {
        await this.sendInBatches(opts, { frame, replyTo }, results, wake);
      } else {
        await this.send(opts, { frame, replyTo }, opts.targets);
        if (!opts.noReplies) await this.waitForReplies(opts, results, wake, opts.targets?.length);
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      results.markFinished();
      await inbox?.close();
    }
    return results;
  }

  private async send(opts: CallOptions, { frame, replyTo }: Outgoing, targets?: readonly string[]): Promise<void> {
    const direct =
      targets !== undefined && (opts.direct || opts.batch !== undefined || targets.length <= this.settings.directAddressingThreshold);
    if (direct) {
      for (const identity of targets) await this.connector.publish({ kind: 'node', collective: opts.collective, identity }, frame, replyTo);
    } else {
      await this.connector.publish({ kind: 'broadcast', collective: opts.collective, agent: opts.agent }, frame, replyTo);
    }
    await this.connector.flush();
  }

  private async sendInBatches(opts: CallOptions, outgoing: Outgoing, results: ResultSet, wake: Waker): Promise<void> {
    const targets = opts.targets!;
    const size = Math.max(1, opts.batch!.size);
    for (let i = 0; i < targets.length; i += size) {
      if (opts.signal?.aborted) break;
      const batch = targets.slice(i, i + size);
      await this.send(opts, outgoing, batch);
      if (!opts.noReplies) await this.waitForReplies(opts, results, wake, undefined, batch);
      if (i + size < targets.length && opts.batch!.sleepMs > 0) await sleep(opts.batch!.sleepMs, opts.signal);
    }
  }

  /** Waits until every expected node answered, the quiet window passed, or the timeout. */
  private async waitForReplies(
    opts: CallOptions,
    results: ResultSet,
    wake: Waker,
    expected?: number,
    batch?: readonly string[],
  ): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    const quiet = opts.targets ? 0 : (opts.quietWindowMs ?? 0);
    const done = (): boolean => {
      if (opts.signal?.aborted) return true;
      if (batch) return batch.every((n) => results.has(n));
      if (expected !== undefined) return results.expectedAnswered() >= expected;
      return opts.expectCount !== undefined && results.size >= opts.expectCount;
    };
    // Replies wake this loop only when they may end it, or when the first one starts the quiet window:
    // no timer or promise per reply.
    wake.when(() => done() || (quiet > 0 && results.size === 1));
    try {
      while (!done()) {
        const now = Date.now();
        if (now >= deadline) return;
        let wait = deadline - now;
        if (quiet > 0 && results.size > 0) {
          // The window stretches to three times the longest pause already seen between replies: a loaded machine
          // that stalls for 400 ms mid-stream has shown it may do so again.
          const quietEnds = results.lastReplyAt + Math.max(quiet, 3 * results.longestGap);
          if (now >= quietEnds) {
            // Replies may sit unread behind a busy event loop: a broker round trip delivers them before we decide.
            const before = results.size;
            await this.connector.flush();
            await new Promise((r) => setImmediate(r));
            if (results.size === before) return;
            continue;
          }
          wait = Math.min(wait, quietEnds - now);
        }
        await wake.wait(wait);
      }
    } finally {
      wake.when(() => false);
    }
  }

  private decode(msg: InboundMessage, id: string, results: ResultSet): Reply | undefined {
    try {
      const frame = decodeFrame(msg.data, this.settings.maxMessageSize);
      const secure = checkSecureReply(frame.data);
      this.security.verifyReply(secure);
      const reply = decodeReply(secure.reply);
      if (reply.request_id !== id) throw new ProtocolError('schema', `reply for another request ${reply.request_id}`);
      return {
        sender: reply.sender,
        statuscode: reply.message.statuscode,
        statusmsg: reply.message.statusmsg,
        data: reply.message.data,
        time: reply.time,
        elapsedMs: results.elapsed(),
      };
    } catch (err) {
      results.invalid((err as Error).message);
      return undefined;
    }
  }
}

/** Lets reply callbacks wake a waiting loop, but only when its condition holds. */
class Waker {
  private resolve?: () => void;
  private condition: () => boolean = () => true;

  when(condition: () => boolean): void {
    this.condition = condition;
  }

  wake(): void {
    if (!this.resolve || !this.condition()) return;
    const r = this.resolve;
    this.resolve = undefined;
    r();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), ms);
      const finish = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        resolve();
      };
      this.resolve = finish;
    });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // A signal that has fired already sends no further event.
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
