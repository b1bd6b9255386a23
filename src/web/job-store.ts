// Job history in a JetStream key-value bucket (default `troupe_web_jobs`), so it survives a restart of the server:
//   job.<id>                      the job summary (who, when, filter, action, redacted inputs, state, stats)
//   reply.<id>.<identity token>   one node's whole reply
//   filter.<user>.<name token>    a saved filter
import { createInbox, type KV, type Msg, type NatsConnection } from 'nats';
import { keyToken } from '../plan/jetstream-store.js';
import { WebError } from './errors.js';

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const decode = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));

export interface JobStoreSettings {
  bucket: string;
  maxAgeMs: number;
}

/** How long `putMany` waits for the next acknowledgement before it counts the writes still unanswered as failed. */
export const ACK_IDLE_MS = 5000;

/** Why the stream refused a write, from its acknowledgement; undefined when it stored it. */
function ackError(msg: Msg): string | undefined {
  // No stream on the subject: the broker answers with a header-only 503.
  const code = msg.headers?.code ?? 0;
  if (code >= 400) return `${code} ${msg.headers?.description ?? ''}`.trim();
  try {
    const ack = decode(msg.data) as { error?: { description?: string; code?: number } };
    return ack.error ? (ack.error.description ?? `error ${ack.error.code}`) : undefined;
  } catch {
    return 'unreadable acknowledgement';
  }
}

export class JobStore {
  private kvp?: Promise<KV>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly settings: JobStoreSettings,
    /** Inboxes this connection may subscribe to (the broker allows a certificate only its own prefix). */
    private readonly newInbox: () => string = () => createInbox(),
  ) {}

  private kv(): Promise<KV> {
    this.kvp ??= this.nc
      .jetstream({ timeout: 5000 })
      .views.kv(this.settings.bucket, {
        history: 1,
        ttl: this.settings.maxAgeMs,
        description: 'troupe web console: jobs, per-node replies, saved filters',
      })
      .catch((err: unknown) => {
        this.kvp = undefined;
        throw new WebError('WEB_UNAVAILABLE', `job history bucket '${this.settings.bucket}': ${(err as Error).message}`, { cause: err });
      });
    return this.kvp;
  }

  async put(key: string, value: unknown): Promise<void> {
    await (await this.kv()).put(key, encode(value));
  }

  /**
   * Many values at once, as the stream acknowledges them: each a plain publish to its key's subject with a reply
   * address on one inbox, so thousands of writes cost one subscription rather than a request (a timer, a promise) each.
   * Resolves when every write is stored; rejects naming how many were refused or left unanswered (the others are stored).
   */
  async putMany(entries: ReadonlyArray<readonly [key: string, value: unknown]>): Promise<void> {
    if (entries.length === 0) return;
    // The bucket must exist before its subjects are written to.
    await this.kv();
    const inbox = this.newInbox();
    const answered = new Uint8Array(entries.length);
    const failed: string[] = [];
    let waiting = entries.length;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      };
      const settle = (i: number, why: string | undefined) => {
        if (answered[i]) return;
        answered[i] = 1;
        if (why) failed.push(`${entries[i]![0]}: ${why}`);
        if (--waiting === 0) end();
      };
      const idle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          for (let i = 0; i < entries.length; i++) settle(i, `no acknowledgement within ${ACK_IDLE_MS} ms`);
        }, ACK_IDLE_MS);
      };
      const sub = this.nc.subscribe(`${inbox}.*`, {
        callback: (err, msg) => {
          if (err) {
            for (let i = 0; i < entries.length; i++) settle(i, err.message);
            return;
          }
          const i = Number(msg.subject.slice(inbox.length + 1));
          if (!Number.isInteger(i) || i < 0 || i >= entries.length) return;
          idle();
          settle(i, ackError(msg));
        },
      });
      idle();
      for (const [i, [key, value]] of entries.entries()) {
        try {
          this.nc.publish(`$KV.${this.settings.bucket}.${key}`, encode(value), { reply: `${inbox}.${i}` });
        } catch (err) {
          settle(i, (err as Error).message);
        }
      }
    });
    if (failed.length)
      throw new WebError('WEB_UNAVAILABLE', `job history: ${failed.length} of ${entries.length} writes failed (${failed[0]})`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const e = await (await this.kv()).get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    try {
      return decode(e.value) as T;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await (await this.kv()).delete(key);
  }

  async keys(filter: string): Promise<string[]> {
    const kv = await this.kv();
    const out: string[] = [];
    for await (const k of await kv.keys(filter)) out.push(k);
    return out;
  }

  /** The values of every key matching `filter`, read 64 at a time. */
  async values<T>(filter: string): Promise<T[]> {
    const keys = await this.keys(filter);
    const out: T[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const got = await Promise.all(keys.slice(i, i + 64).map((k) => this.get<T>(k)));
      for (const v of got) if (v !== undefined) out.push(v);
    }
    return out;
  }

  static jobKey = (id: string) => `job.${keyToken(id)}`;
  static replyKey = (id: string, identity: string) => `reply.${keyToken(id)}.${keyToken(identity)}`;
  static repliesOf = (id: string) => `reply.${keyToken(id)}.*`;
  static filterKey = (user: string, name: string) => `filter.${keyToken(user)}.${keyToken(name)}`;
  static filtersOf = (user: string) => `filter.${keyToken(user)}.*`;
}
