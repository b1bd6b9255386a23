// Job history in a JetStream key-value bucket (default `troupe_web_jobs`), so it survives a restart of the server:
//   job.<id>                      the job summary (who, when, filter, action, redacted inputs, state, stats)
//   reply.<id>.<identity token>   one node's whole reply
//   filter.<user>.<name token>    a saved filter
import type { KV, NatsConnection } from 'nats';
import { keyToken } from '../plan/jetstream-store.js';
import { WebError } from './errors.js';

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const decode = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));

export interface JobStoreSettings {
  bucket: string;
  maxAgeMs: number;
}

export class JobStore {
  private kvp?: Promise<KV>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly settings: JobStoreSettings,
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
