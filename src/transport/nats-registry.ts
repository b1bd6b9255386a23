// The registry on NATS: a JetStream key-value bucket, one key per node identity, history 1, entries expiring after
// the bucket's max age. Nodes store their record with a plain request to `$KV.<bucket>.<key>` (a KV put acknowledged
// by the stream, no JetStream API call); the bucket is created by the first node that finds it missing, with its
// own settings (first one wins). Readers take the last record of every key through one ordered consumer.
// It works on any connector offering the JetStream capability (jetstream.ts).
// Across sites, each site keeps a bucket of its own (`<bucket>_<site>`) in the JetStream cluster named after the
// site, and a reader reads one site's bucket, in another JetStream domain when the site is one (a leaf site).
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, NatsError } from 'nats';
import { encodeRegistration, registryKey, type RegistrationRecord } from '../protocol/index.js';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { Connector } from './connector.js';
import { jetStreamOf, type JetStreamHandle } from './jetstream.js';

export interface RegistryBucketSettings {
  /** Bucket name; its stream is `KV_<name>`. */
  name: string;
  /** Entries older than this are removed by the broker: the node counts as gone. */
  maxAgeMs: number;
  /** Copies kept in a JetStream cluster (1, 3 or 5); a single server without a cluster keeps one. */
  replicas: number;
  /** The JetStream cluster the bucket is placed in: the node's site. */
  placement?: string;
}

/** The bucket of a site's registry: `<bucket>_<site>`; without a site, the one registry `<bucket>`. */
export function registryBucketName(bucket: string, site: string): string {
  return site ? `${bucket}_${site}` : bucket;
}

export const REGISTRY_ERROR_CODES = {
  registry_unavailable: 'the broker has no JetStream, which the registry needs',
  registry_missing: 'the registry bucket does not exist: no node has registered yet',
  registry_failed: 'the registry bucket cannot be created, read or written',
} as const satisfies ErrorCodeTable;
export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_CODES;

/** A registry failure with a stable `code`: no JetStream on the broker, no bucket yet, or anything else. */
export class RegistryError extends TroupeError {
  override readonly name = 'RegistryError';
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const NO_JETSTREAM = 'the broker has no JetStream (start nats-server with -js, or jetstream {} in its config); the registry needs it';

/** One stored record as read back: its bytes and when the broker stored it (milliseconds, broker clock). */
export interface StoredRecord {
  data: Uint8Array;
  storedAt: number;
}

const streamOf = (bucket: string) => `KV_${bucket}`;
const subjectOf = (bucket: string, identity: string) => `$KV.${bucket}.${registryKey(identity)}`;

/** NATS errors carry the broker's JetStream error code when there is one. */
const apiCode = (err: unknown): number | undefined => (err as NatsError).api_error?.err_code;
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE_FOUND = 10037;
const STREAM_NAME_IN_USE = 10058;
const REPLICAS_NOT_CLUSTERED = 10074;

/** A NATS error in words: a timeout says what usually causes it. */
function reason(err: unknown): string {
  if ((err as NatsError).code === 'TIMEOUT') return 'JetStream did not answer in time (is a JetStream cluster electing a new leader?)';
  return (err as Error).message;
}

function isNoJetStream(err: unknown): boolean {
  const e = err as NatsError;
  // 503: nobody answers the JetStream API (disabled on the server), or the account has no JetStream (10039).
  return e?.code === '503' || apiCode(err) === 10039;
}

/**
 * The bucket as this process knows it. Shared by every node of a process (the simulator's thousands), so a missing
 * bucket is created once and a broker without JetStream is asked once a minute, not once per node.
 */
export class RegistryBucket {
  private creating?: Promise<void>;
  private unavailableUntil = 0;

  constructor(
    readonly settings: RegistryBucketSettings,
    private readonly retryMs = 60_000,
  ) {}

  /** True while the last attempt found no JetStream on the broker. */
  knownUnavailable(now = Date.now()): boolean {
    return now < this.unavailableUntil;
  }

  /** Creates the bucket unless it exists; concurrent callers share one attempt. */
  ensure(js: JetStreamHandle): Promise<void> {
    this.creating ??= this.create(js).finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async create(js: JetStreamHandle, replicas = this.settings.replicas): Promise<void> {
    const { name, maxAgeMs, placement } = this.settings;
    try {
      await js.client().views.kv(name, {
        history: 1,
        ttl: maxAgeMs,
        replicas,
        ...(placement ? { placement: { cluster: placement, tags: [] } } : {}),
        description: 'troupe node registry: one registration record per identity',
      });
    } catch (err) {
      if (apiCode(err) === STREAM_NAME_IN_USE) return; // another node created it first, with its own settings
      // A site of one server has no JetStream cluster: it keeps one copy, whatever registry_replicas says.
      if (apiCode(err) === REPLICAS_NOT_CLUSTERED && replicas > 1) return this.create(js, 1);
      if (isNoJetStream(err)) {
        this.unavailableUntil = Date.now() + this.retryMs;
        throw new RegistryError('registry_unavailable', NO_JETSTREAM, { cause: err });
      }
      throw new RegistryError('registry_failed', `cannot create the registry bucket '${this.settings.name}': ${reason(err)}`, {
        cause: err,
      });
    }
  }
}

/** Stores one node's registration record through that node's own connection. */
export class NatsRegistrar {
  constructor(
    private readonly js: JetStreamHandle,
    private readonly bucket: RegistryBucket,
    private readonly timeoutMs = 5000,
  ) {}

  async store(record: RegistrationRecord): Promise<void> {
    if (this.bucket.knownUnavailable()) throw new RegistryError('registry_unavailable', NO_JETSTREAM);
    const subject = subjectOf(this.bucket.settings.name, record.identity);
    const data = encodeRegistration(record);
    try {
      await this.put(subject, data);
    } catch (err) {
      // No stream listens on the subject: the bucket does not exist yet (or JetStream is off; ensure() tells which).
      if ((err as NatsError).code !== '503') throw err;
      await this.bucket.ensure(this.js);
      await this.put(subject, data).catch((again: NatsError) => {
        throw again.code === '503'
          ? new RegistryError('registry_failed', `the registry bucket '${this.bucket.settings.name}' does not take registrations`)
          : again;
      });
    }
  }

  private async put(subject: string, data: Uint8Array): Promise<void> {
    let reply;
    try {
      // noMux: a throwaway reply subscription, so ten thousand simulated nodes do not each keep an inbox open.
      reply = await this.js.request(subject, data, { timeout: this.timeoutMs, noMux: true });
    } catch (err) {
      if ((err as NatsError).code === '503') throw err;
      throw new RegistryError('registry_failed', `registration not acknowledged: ${reason(err)}`, { cause: err });
    }
    let ack: { stream?: string; error?: { description?: string } };
    try {
      ack = JSON.parse(new TextDecoder().decode(reply.data)) as typeof ack;
    } catch {
      throw new RegistryError('registry_failed', 'registration answered with something other than a JetStream acknowledgement');
    }
    if (ack.error || !ack.stream)
      throw new RegistryError('registry_failed', `registration refused: ${ack.error?.description ?? 'no acknowledgement'}`);
  }
}

export interface RegistryReaderOptions {
  /** The JetStream domain the bucket is in (a leaf site's); default: the broker's own. */
  domain?: string;
  /** How long each JetStream request may take; default: the NATS client's (5 s). */
  timeoutMs?: number;
  /** A read that gets no message for this long fails instead of waiting on. */
  stallMs?: number;
}

/** Own JetStream options only when asked for a domain or a timeout; otherwise the connector's shared client. */
function registryJetStreamOptions(
  opts: Pick<RegistryReaderOptions, 'domain' | 'timeoutMs'>,
): { domain?: string; timeout?: number } | undefined {
  const { domain, timeoutMs } = opts;
  if (domain === undefined && timeoutMs === undefined) return undefined;
  return { ...(domain !== undefined && { domain }), ...(timeoutMs !== undefined && { timeout: timeoutMs }) };
}

/** The JetStream client a site's registry is read through: in its domain, within its timeout. */
export function registryJetStream(js: JetStreamHandle, opts: Pick<RegistryReaderOptions, 'domain' | 'timeoutMs'>): JetStreamClient {
  const options = registryJetStreamOptions(opts);
  return options ? js.connection().jetstream(options) : js.client();
}

/** Reads the registry: every node's last record, or one node's. */
export class NatsRegistryReader {
  private manager?: JetStreamManager;
  private readonly stallMs: number;

  constructor(
    private readonly js: JetStreamHandle,
    private readonly bucket: string,
    private readonly opts: RegistryReaderOptions = {},
  ) {
    this.stallMs = opts.stallMs ?? 10_000;
  }

  private get jsOptions(): { domain?: string; timeout?: number } | undefined {
    return registryJetStreamOptions(this.opts);
  }

  private client(): JetStreamClient {
    return registryJetStream(this.js, this.opts);
  }

  private async jsm(): Promise<JetStreamManager> {
    if (this.manager) return this.manager;
    try {
      const options = this.jsOptions;
      this.manager = options ? await this.js.connection().jetstreamManager(options) : await this.js.manager();
    } catch (err) {
      const { domain } = this.opts;
      if (isNoJetStream(err) && domain !== undefined)
        throw new RegistryError(
          'registry_unavailable',
          `no JetStream answers in domain '${domain}' (is the site up, and its leafnode connected?)`,
          {
            cause: err,
          },
        );
      if (isNoJetStream(err)) throw new RegistryError('registry_unavailable', NO_JETSTREAM, { cause: err });
      throw new RegistryError('registry_failed', `cannot reach JetStream: ${reason(err)}`, { cause: err });
    }
    return this.manager;
  }

  /** The bucket's max age (0: none) and how many messages it holds; throws when it does not exist. */
  private async describe(): Promise<{ maxAgeMs: number; messages: number }> {
    const jsm = await this.jsm();
    try {
      const info = await jsm.streams.info(streamOf(this.bucket));
      return { maxAgeMs: Math.round(info.config.max_age / 1e6), messages: info.state.messages };
    } catch (err) {
      if (apiCode(err) === STREAM_NOT_FOUND) {
        throw new RegistryError(
          'registry_missing',
          `the registry bucket '${this.bucket}' does not exist: no node has registered yet (registerinterval > 0 on the nodes, NATS with JetStream)`,
        );
      }
      throw new RegistryError('registry_failed', `cannot read the registry bucket '${this.bucket}': ${reason(err)}`, { cause: err });
    }
  }

  /**
   * Calls `visit` with the record of every key, streamed through one ordered consumer; resolves with the max age.
   * With history 1 the stream holds one message per key, so reading it from the start reads the last values; a key
   * updated during the scan may be seen twice, and the caller keeps the newer. The scan ends at the message the
   * broker says is the last (pending 0), or, should the tail expire while we read, once the consumer has nothing
   * left to deliver after a quiet second.
   */
  async scan(visit: (record: StoredRecord) => void): Promise<{ maxAgeMs: number }> {
    const { maxAgeMs, messages } = await this.describe();
    if (messages === 0) return { maxAgeMs };
    const js = this.client();
    let finish!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
    let consumer: Consumer | undefined;
    let iterator: ConsumerMessages | undefined;
    let lastMessageAt = Date.now();
    let lastStreamSeq = 0;
    let received = 0;
    let checking = false;
    // Creating the consumer retries for as long as the stream has no leader: the stall limit bounds the wait.
    const watchdog = setInterval(() => {
      const quietMs = Date.now() - lastMessageAt;
      if (quietMs >= this.stallMs) {
        fail(
          new RegistryError(
            'registry_failed',
            `the registry stopped answering after ${received} records (no message for ${Math.round(quietMs / 1000)} s)`,
          ),
        );
        return;
      }
      // Done early only when the broker has nothing left for us and we have handled all it delivered: a busy
      // event loop can hold delivered messages unread for a second.
      if (quietMs < 1000 || !consumer || !iterator || checking) return;
      checking = true;
      consumer
        .info()
        .then((ci) => ci.num_pending === 0 && lastStreamSeq >= ci.delivered.stream_seq && finish(), fail)
        .finally(() => (checking = false));
    }, 500);
    const open = async () => {
      consumer = await js.consumers.get(streamOf(this.bucket), { filterSubjects: `$KV.${this.bucket}.>` });
      iterator = await consumer.consume({
        max_messages: 10_000,
        callback: (m) => {
          lastMessageAt = Date.now();
          lastStreamSeq = m.seq;
          received++;
          const op = m.headers?.get('KV-Operation');
          try {
            if (op !== 'DEL' && op !== 'PURGE') visit({ data: m.data, storedAt: Math.floor(m.info.timestampNanos / 1e6) });
          } catch (err) {
            fail(err);
          }
          if (m.info.pending === 0) finish();
        },
      });
    };
    try {
      open().catch(fail);
      await finished;
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw new RegistryError('registry_failed', `cannot read the registry bucket '${this.bucket}': ${reason(err)}`, { cause: err });
    } finally {
      clearInterval(watchdog);
      await iterator?.close().catch(() => undefined);
      await consumer?.delete().catch(() => undefined);
    }
    return { maxAgeMs };
  }

  /** One node's record, if the registry holds one. */
  async get(identity: string): Promise<{ record?: StoredRecord; maxAgeMs: number }> {
    const { maxAgeMs } = await this.describe();
    try {
      const m = await (await this.jsm()).streams.getMessage(streamOf(this.bucket), { last_by_subj: subjectOf(this.bucket, identity) });
      const op = m.header?.get('KV-Operation');
      if (op === 'DEL' || op === 'PURGE') return { maxAgeMs };
      return { record: { data: m.data, storedAt: m.time.getTime() }, maxAgeMs };
    } catch (err) {
      if (apiCode(err) === NO_MESSAGE_FOUND) return { maxAgeMs };
      throw new RegistryError('registry_failed', `cannot read the registry: ${reason(err)}`, { cause: err });
    }
  }
}

/** The registrar for a node's connector, or undefined when its broker offers no JetStream (AMQP has no registry). */
export function natsRegistrarFor(connector: Connector, bucket: RegistryBucket): NatsRegistrar | undefined {
  const js = jetStreamOf(connector);
  return js ? new NatsRegistrar(js, bucket) : undefined;
}

/** The registry reader over a client's connector, or undefined when its broker offers no JetStream. */
export function natsRegistryReaderFor(
  connector: Connector,
  bucket: string,
  opts: RegistryReaderOptions = {},
): NatsRegistryReader | undefined {
  const js = jetStreamOf(connector);
  return js ? new NatsRegistryReader(js, bucket, opts) : undefined;
}
