// Governors: fleet-wide semaphores in JetStream, so that at most CAPACITY holders do one thing at once (Puppet runs,
// say) whatever starts them: operators, cron jobs, plans or the daemons' own scheduled runs.
//
// One stream per governor, `GOVERNOR_<name>`, on subjects `$GOVERNOR.<name>.*`: a slot is one message on a subject
// of its own (`$GOVERNOR.<name>.<random token>`). The stream holds at most CAPACITY messages and refuses new ones
// when full (max_msgs, discard new), keeps one message per subject, and drops messages older than the expiry
// (max_age). Taking a slot is publishing a message the broker accepts; a holder re-publishes on its subject while
// it holds the slot (the broker replaces the old message, so the count does not grow and the age restarts), and
// releases it by deleting its message. A holder that dies stops refreshing and its slot expires; an operator can
// evict one at once. The broker decides every admission on its own, so no two clients can both take the last slot.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  headers,
  type JetStreamManager,
  type NatsConnection,
  type NatsError,
  type StreamInfo,
} from 'nats';
import type { Connector } from '../transport/connector.js';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import { jetStreamOf } from './jetstream-store.js';

export const GOVERNOR_ERROR_CODES = {
  timeout: 'no slot came free within the wait',
  not_found: 'the governor, or the slot named, does not exist',
  unavailable: 'no JetStream, no answer, or the broker refused',
  bad_input: 'not a governor name, capacity or expiry',
  aborted: "the wait was given up on (the caller's signal)",
} as const satisfies ErrorCodeTable;
export type GovernorErrorCode = keyof typeof GOVERNOR_ERROR_CODES;

export class GovernorError extends TroupeError {
  override readonly name = 'GovernorError';
  declare readonly code: GovernorErrorCode;
  constructor(code: GovernorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface GovernorInfo {
  name: string;
  capacity: number;
  /** A slot not refreshed for this long is freed by the broker. */
  expiryMs: number;
  replicas: number;
  /** Slots held now. */
  active: number;
}

export interface SlotInfo {
  /** The slot's id, as `evict` takes it (the last token of its subject). */
  id: string;
  holder: string;
  host: string;
  pid: number;
  /** When the holder took the slot (its clock). */
  acquiredAt: string;
  /** When the holder last refreshed it (the broker's clock). */
  refreshedAt: string;
  /** When the broker frees it unless refreshed again. */
  expiresAt: string;
}

export interface AcquireOptions {
  /** Who holds it, as shown by `mco governor view`. */
  holder: string;
  /** How long to wait for a free slot; 0 tries once. */
  maxWaitMs: number;
  signal?: AbortSignal;
}

export interface GovernorSlot {
  /** The slot's id, as `mco governor view` shows it and `evict` takes it. */
  readonly id: string;
  /** Aborted when the slot was lost while held: evicted, or expired because refreshes did not get through. */
  readonly lost: AbortSignal;
  /** Gives the slot back; safe to call twice. */
  release(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export const streamOfGovernor = (name: string) => `GOVERNOR_${name}`;
export const subjectsOfGovernor = (name: string) => `$GOVERNOR.${name}.*`;

export function checkGovernorName(name: string): string {
  if (!NAME.test(name)) throw new GovernorError('bad_input', `'${name}' is not a governor name (letters, digits, _ and -, at most 64)`);
  return name;
}

const apiCode = (err: unknown): number | undefined => (err as NatsError)?.api_error?.err_code;
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE_FOUND = 10037;
const WRONG_LAST_SEQUENCE = 10071;
/** A message delete that found nothing to delete (gone, or beyond the end). */
const DELETE_FAILED = 10057;
const nothingToDelete = (err: unknown) => apiCode(err) === DELETE_FAILED || apiCode(err) === NO_MESSAGE_FOUND;
const nanos = (ms: number) => Math.round(ms * 1e6);

const isFull = (err: unknown) => /maximum messages/i.test((err as NatsError)?.api_error?.description ?? (err as Error)?.message ?? '');

function failure(err: unknown, what: string): GovernorError {
  if (err instanceof GovernorError) return err;
  const e = err as NatsError;
  if (e?.code === '503' || apiCode(err) === 10039) {
    return new GovernorError(
      'unavailable',
      `cannot ${what}: governors need NATS with JetStream (nats-server -js, or jetstream {} in its config)`,
      { cause: err },
    );
  }
  if (e?.code === 'TIMEOUT') {
    return new GovernorError(
      'unavailable',
      `cannot ${what}: JetStream did not answer in time (does the broker let this certificate use the governor?)`,
      { cause: err },
    );
  }
  return new GovernorError('unavailable', `cannot ${what}: ${e?.message ?? String(err)}`, { cause: err });
}

function connectionOf(connector: Connector): NatsConnection {
  const nc = jetStreamOf(connector);
  if (!nc) throw new GovernorError('unavailable', `governors need NATS with JetStream; this client uses connector = ${connector.kind}`);
  return nc;
}

/** "20m", "90s", "1h30m", "500ms" or plain seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new GovernorError('bad_input', `'${text}' is not a duration (like 30s, 20m, 1h30m, or seconds)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] ?? 's'] ?? 1000), 0));
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Direct reads by subject (nats.js has them on its manager without declaring them). */
interface DirectGet {
  getMessage(
    stream: string,
    query: { seq: number; next_by_subj: string },
  ): Promise<{ seq: number; subject: string; data: Uint8Array; time: Date }>;
}

interface SlotBody {
  holder: string;
  host: string;
  pid: number;
  acquiredAt: string;
}

function infoOf(name: string, si: StreamInfo): GovernorInfo {
  return {
    name,
    capacity: si.config.max_msgs,
    expiryMs: Math.round(si.config.max_age / 1e6),
    replicas: si.config.num_replicas,
    active: si.state.messages,
  };
}

export interface GovernorOptions {
  /** How long one JetStream call may take. */
  timeoutMs?: number;
  /** Longest pause between two tries while the governor is full. */
  maxPollMs?: number;
}

/** A governor as its users see it: take a slot, hold it, give it back. */
export class Governor {
  private manager?: Promise<JetStreamManager>;
  private readonly timeoutMs: number;
  private readonly maxPollMs: number;

  constructor(
    private readonly nc: NatsConnection,
    readonly name: string,
    opts: GovernorOptions = {},
  ) {
    checkGovernorName(name);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxPollMs = opts.maxPollMs ?? 1000;
  }

  static for(connector: Connector, name: string, opts?: GovernorOptions): Governor {
    return new Governor(connectionOf(connector), name, opts);
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= this.nc.jetstreamManager({ timeout: this.timeoutMs });
    this.manager.catch(() => (this.manager = undefined));
    return this.manager;
  }

  private async info(): Promise<StreamInfo> {
    try {
      return await (await this.jsm()).streams.info(streamOfGovernor(this.name));
    } catch (err) {
      if (apiCode(err) === STREAM_NOT_FOUND)
        throw new GovernorError(
          'not_found',
          `there is no governor '${this.name}' (create it with \`mco governor add ${this.name} CAPACITY EXPIRY\`)`,
        );
      throw failure(err, `read governor '${this.name}'`);
    }
  }

  /** Publishes a slot message; resolves with its sequence, or undefined when the governor is full. */
  private async publish(subject: string, body: SlotBody, lastSeq: number): Promise<number | undefined> {
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', String(lastSeq));
    try {
      const ack = await this.nc
        .jetstream({ timeout: this.timeoutMs })
        .publish(subject, new TextEncoder().encode(JSON.stringify(body)), { headers: h, timeout: this.timeoutMs });
      return ack.seq;
    } catch (err) {
      if (isFull(err)) return undefined;
      throw err;
    }
  }

  async acquire(opts: AcquireOptions): Promise<GovernorSlot> {
    const { signal } = opts;
    const info = await this.info();
    const expiryMs = Math.round(info.config.max_age / 1e6);
    const id = randomBytes(8).toString('hex');
    const subject = `$GOVERNOR.${this.name}.${id}`;
    const body: SlotBody = { holder: opts.holder, host: hostname(), pid: process.pid, acquiredAt: new Date().toISOString() };
    const deadline = Date.now() + Math.max(0, opts.maxWaitMs);
    let pause = 100;
    for (;;) {
      if (signal?.aborted) throw new GovernorError('aborted', `gave up waiting for a slot on governor '${this.name}'`);
      let seq: number | undefined;
      try {
        seq = await this.publish(subject, { ...body, acquiredAt: new Date().toISOString() }, 0);
      } catch (err) {
        if (apiCode(err) === WRONG_LAST_SEQUENCE)
          throw new GovernorError('unavailable', `governor '${this.name}': slot subject ${subject} is taken`);
        throw failure(err, `take a slot on governor '${this.name}'`);
      }
      if (seq !== undefined) return this.held(id, subject, body, seq, expiryMs);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new GovernorError(
          'timeout',
          `no slot came free on governor '${this.name}' within ${formatDuration(Math.max(0, opts.maxWaitMs))} (capacity ${info.config.max_msgs}, all held)`,
        );
      }
      // Jittered, growing pauses: a crowd of waiters does not hammer the broker in step.
      await sleep(Math.min(left, pause * (0.5 + Math.random())), signal);
      pause = Math.min(this.maxPollMs, pause * 1.5);
    }
  }

  /** A slot kept alive by re-publishing it a few times per expiry period. */
  private held(id: string, subject: string, body: SlotBody, firstSeq: number, expiryMs: number): GovernorSlot {
    let seq = firstSeq;
    let released = false;
    const lost = new AbortController();
    let chain: Promise<void> = Promise.resolve();
    const serially = (job: () => Promise<void>) => (chain = chain.then(job, job));
    const refresh = () =>
      serially(async () => {
        if (released || lost.signal.aborted) return;
        try {
          const next = await this.publish(subject, body, seq);
          if (next !== undefined) seq = next;
        } catch (err) {
          // Evicted or expired: the message it would replace is gone. Anything else is tried again next time.
          if (apiCode(err) === WRONG_LAST_SEQUENCE) {
            clearInterval(timer);
            lost.abort(new GovernorError('not_found', `the slot on governor '${this.name}' was lost (evicted, or expired)`));
          }
        }
      });
    const timer = setInterval(() => void refresh(), Math.max(100, Math.floor(expiryMs / 4)));
    timer.unref();
    const jsmOf = () => this.jsm();
    const name = this.name;
    return {
      id,
      lost: lost.signal,
      release: () =>
        serially(async () => {
          if (released) return;
          released = true;
          clearInterval(timer);
          if (lost.signal.aborted) return;
          try {
            await (await jsmOf()).streams.deleteMessage(streamOfGovernor(name), seq, false);
          } catch (err) {
            // Already gone (expired or evicted) is as good as released.
            if (nothingToDelete(err)) return;
            throw failure(err, `release the slot on governor '${name}' (it frees itself after the expiry)`);
          }
        }),
    };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Creating, inspecting and removing governors (`mco governor add|list|view|evict|rm`). */
export class GovernorAdmin {
  private manager?: Promise<JetStreamManager>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {}

  static for(connector: Connector, timeoutMs?: number): GovernorAdmin {
    return new GovernorAdmin(connectionOf(connector), timeoutMs);
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= this.nc.jetstreamManager({ timeout: this.timeoutMs });
    this.manager.catch(() => (this.manager = undefined));
    return this.manager;
  }

  /** Creates the governor, or changes the capacity and expiry of an existing one (at once, for every holder). */
  async add(name: string, capacity: number, expiryMs: number, replicas = 1): Promise<{ info: GovernorInfo; created: boolean }> {
    checkGovernorName(name);
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new GovernorError('bad_input', `capacity '${capacity}' is not a whole number above 0`);
    if (!Number.isFinite(expiryMs) || expiryMs < 1000) throw new GovernorError('bad_input', 'the expiry must be at least 1s');
    if (![1, 3, 5].includes(replicas)) throw new GovernorError('bad_input', 'replicas must be 1, 3 or 5');
    const config = {
      name: streamOfGovernor(name),
      subjects: [subjectsOfGovernor(name)],
      description: `troupe governor ${name}: one message per slot held`,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: capacity,
      max_msgs_per_subject: 1,
      max_age: nanos(expiryMs),
      // No message ids are used; the window only has to fit inside max_age.
      duplicate_window: nanos(Math.min(expiryMs, 1000)),
      num_replicas: replicas,
      allow_direct: true,
    };
    const jsm = await this.jsm().catch((err: unknown) => Promise.reject(failure(err, 'reach JetStream')));
    try {
      const si = await jsm.streams.info(config.name).catch((err: unknown) => {
        if (apiCode(err) === STREAM_NOT_FOUND) return undefined;
        throw err;
      });
      if (!si) return { info: infoOf(name, await jsm.streams.add(config)), created: true };
      return { info: infoOf(name, await jsm.streams.update(config.name, { ...si.config, ...config })), created: false };
    } catch (err) {
      throw failure(err, `add governor '${name}'`);
    }
  }

  async info(name: string): Promise<GovernorInfo> {
    checkGovernorName(name);
    const jsm = await this.jsm().catch((err: unknown) => Promise.reject(failure(err, 'reach JetStream')));
    try {
      return infoOf(name, await jsm.streams.info(streamOfGovernor(name)));
    } catch (err) {
      if (apiCode(err) === STREAM_NOT_FOUND) throw new GovernorError('not_found', `there is no governor '${name}'`);
      throw failure(err, `read governor '${name}'`);
    }
  }

  /** Every governor, by name. */
  async list(): Promise<GovernorInfo[]> {
    const jsm = await this.jsm().catch((err: unknown) => Promise.reject(failure(err, 'reach JetStream')));
    const names: string[] = [];
    try {
      for await (const stream of jsm.streams.names('$GOVERNOR.>'))
        if (stream.startsWith('GOVERNOR_')) names.push(stream.slice('GOVERNOR_'.length));
    } catch (err) {
      throw failure(err, 'list governors');
    }
    // One removed between the listing and its read is left out.
    const read = (n: string) =>
      this.info(n).catch((err: unknown) => {
        if (err instanceof GovernorError && err.code === 'not_found') return undefined;
        throw err;
      });
    const infos = await Promise.all(names.filter((n) => NAME.test(n)).map(read));
    return infos.filter((i): i is GovernorInfo => i !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The governor and the slots held now, oldest first. */
  async view(name: string): Promise<{ info: GovernorInfo; slots: SlotInfo[] }> {
    const info = await this.info(name);
    const jsm = await this.jsm();
    // By slot id: a refresh landing during the walk puts the same slot at a later sequence, and the later one wins.
    const slots = new Map<string, SlotInfo>();
    let seq = 1;
    // Walks the held slots by subject, skipping the gaps released slots leave; a refresh met on the way adds one step.
    for (let i = 0; i <= 2 * info.capacity; i++) {
      let m;
      try {
        m = await (jsm as JetStreamManager & { direct: DirectGet }).direct.getMessage(streamOfGovernor(name), {
          seq,
          next_by_subj: subjectsOfGovernor(name),
        });
      } catch (err) {
        if (apiCode(err) === NO_MESSAGE_FOUND || (err as NatsError).code === '404' || /not found/i.test((err as Error).message)) break;
        throw failure(err, `read the slots of governor '${name}'`);
      }
      let body: Partial<SlotBody> = {};
      try {
        body = JSON.parse(new TextDecoder().decode(m.data)) as Partial<SlotBody>;
      } catch {
        // A message not written by a governor client: shown with what the broker knows of it.
      }
      const refreshed = m.time.getTime();
      const id = m.subject.slice(m.subject.lastIndexOf('.') + 1);
      slots.set(id, {
        id,
        holder: typeof body.holder === 'string' ? body.holder : '?',
        host: typeof body.host === 'string' ? body.host : '?',
        pid: typeof body.pid === 'number' ? body.pid : 0,
        acquiredAt: typeof body.acquiredAt === 'string' ? body.acquiredAt : new Date(refreshed).toISOString(),
        refreshedAt: new Date(refreshed).toISOString(),
        expiresAt: new Date(refreshed + info.expiryMs).toISOString(),
      });
      seq = m.seq + 1;
    }
    return { info, slots: [...slots.values()] };
  }

  /** Frees one slot now (its holder finds it lost at its next refresh). */
  async evict(name: string, id: string): Promise<void> {
    checkGovernorName(name);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw new GovernorError('bad_input', `'${id}' is not a slot id (see \`mco governor view ${name}\`)`);
    await this.info(name);
    let purged: number;
    try {
      // By subject, so a refresh landing meanwhile is removed too (it replaced the message a delete would name).
      purged = (await (await this.jsm()).streams.purge(streamOfGovernor(name), { filter: `$GOVERNOR.${name}.${id}` })).purged;
    } catch (err) {
      throw failure(err, `evict slot ${id} of governor '${name}'`);
    }
    if (purged === 0) throw new GovernorError('not_found', `governor '${name}' holds no slot ${id} (see \`mco governor view ${name}\`)`);
  }

  async rm(name: string): Promise<void> {
    checkGovernorName(name);
    try {
      await (await this.jsm()).streams.delete(streamOfGovernor(name));
    } catch (err) {
      if (apiCode(err) === STREAM_NOT_FOUND) throw new GovernorError('not_found', `there is no governor '${name}'`);
      throw failure(err, `remove governor '${name}'`);
    }
  }
}
