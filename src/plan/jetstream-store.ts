// Plan run state in a JetStream key-value bucket, so `mco plan status|cancel|resume` work from any operator's host
// and a run survives the death of its runner.
//
// Layout: one bucket (default `troupe_plans`, stream `KV_troupe_plans`), history 1, entries expiring after the
// bucket's max age (30 days by default) since their last write. Keys, each component escaped to one subject token:
//   run.<id>                      the PlanRunRecord
//   step.<id>.<step>              one StepRecord per step
//   node.<id>.<step>.<identity>   one NodeRecord per node of a step (a later record replaces the earlier one)
// A KV bucket rather than a bare stream: every key keeps only its last value (no growth with heartbeats or
// retries), and a write can be made conditional on the revision it read, which is what `update` and `claim` need
// to stay atomic when two runners or an operator's cancel race.
import type { KV, KvEntry, NatsConnection, NatsError } from 'nats';
import type { Connector } from '../transport/connector.js';
import { jetStreamOf as jetStreamHandleOf } from '../transport/jetstream.js';
import { PlanStoreError, type PlanRunRecord, type PlanStore, type RunnerLease, type StepRecord, type NodeRecord } from './store.js';

/**
 * The connection JetStream is reached through, or undefined when the connector has none (AMQP). The one place
 * plan state and governors find JetStream.
 */
export function jetStreamOf(connector: Connector): NatsConnection | undefined {
  return jetStreamHandleOf(connector)?.connection();
}

export interface PlanBucketSettings {
  /** Bucket name; its stream is `KV_<name>`. */
  name: string;
  /** Records untouched for this long are removed by the broker. */
  maxAgeMs: number;
  /** Copies kept in a JetStream cluster (1, 3 or 5). */
  replicas: number;
  /** A runner whose heartbeat is older than this has lost its lease: another may take the run over. */
  leaseMs: number;
  /** How long one JetStream call may take. */
  timeoutMs: number;
}

export const DEFAULT_PLAN_BUCKET: PlanBucketSettings = {
  name: 'troupe_plans',
  maxAgeMs: 30 * 24 * 3600 * 1000,
  replicas: 1,
  leaseMs: 30_000,
  timeoutMs: 5000,
};

const NO_JETSTREAM = 'plan state needs NATS with JetStream (nats-server -js, or jetstream {} in its config)';

/** Escapes one key component to a single KV token: `[A-Za-z0-9-]` stay, anything else becomes `_XX` (UTF-8 hex). */
export function keyToken(value: string): string {
  if (value === '') return '_';
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const runKey = (id: string) => `run.${keyToken(id)}`;
const stepKey = (id: string, step: string) => `step.${keyToken(id)}.${keyToken(step)}`;
const nodeKey = (id: string, step: string, identity: string) => `node.${keyToken(id)}.${keyToken(step)}.${keyToken(identity)}`;

const apiCode = (err: unknown): number | undefined => (err as NatsError)?.api_error?.err_code;
const WRONG_LAST_SEQUENCE = 10071;

function isNoJetStream(err: unknown): boolean {
  // 503: nobody answers the JetStream API; 10039: the account has no JetStream.
  return (err as NatsError)?.code === '503' || apiCode(err) === 10039;
}

/** Any JetStream failure as a PlanStoreError: no JetStream, no answer in time, or refused. */
function storeFailure(err: unknown, what: string): PlanStoreError {
  if (err instanceof PlanStoreError) return err;
  if (isNoJetStream(err)) return new PlanStoreError('unavailable', NO_JETSTREAM, { cause: err });
  const e = err as NatsError;
  if (e?.code === 'TIMEOUT') {
    return new PlanStoreError(
      'unavailable',
      `cannot ${what}: JetStream did not answer in time (does the broker let this certificate use plan state?)`,
      { cause: err },
    );
  }
  return new PlanStoreError('unavailable', `cannot ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RUN_STATES = ['running', 'succeeded', 'failed', 'cancelled'];
const STEP_STATES = ['running', 'done', 'failed', 'skipped'];
const OUTCOMES = ['ok', 'failed', 'silent'];

function isLease(v: unknown): v is RunnerLease {
  return isObject(v) && typeof v.host === 'string' && typeof v.pid === 'number' && typeof v.heartbeatAt === 'string';
}

function isRun(v: unknown): v is PlanRunRecord {
  return (
    isObject(v) &&
    ['id', 'plan', 'planDigest', 'caller', 'startedAt', 'updatedAt'].every((k) => typeof v[k] === 'string') &&
    isObject(v.inputs) &&
    RUN_STATES.includes(v.state as string) &&
    (v.runner === undefined || isLease(v.runner))
  );
}

const isStep = (v: unknown): v is StepRecord =>
  isObject(v) && typeof v.step === 'string' && STEP_STATES.includes(v.state as string) && typeof v.startedAt === 'string';

const isNode = (v: unknown): v is NodeRecord =>
  isObject(v) &&
  typeof v.identity === 'string' &&
  OUTCOMES.includes(v.outcome as string) &&
  typeof v.batch === 'number' &&
  typeof v.at === 'string';

function decode<T>(entry: KvEntry, check: (v: unknown) => v is T, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(entry.value));
  } catch (err) {
    throw new PlanStoreError('corrupt', `the ${what} stored under '${entry.key}' is not JSON (${(err as Error).message})`);
  }
  if (!check(value))
    throw new PlanStoreError('corrupt', `the ${what} stored under '${entry.key}' does not have the fields a ${what} needs`);
  return value;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const live = (e: KvEntry | null): e is KvEntry => e !== null && e.operation === 'PUT';

/** Tries a read-modify-write this many times when another writer keeps winning the race. */
const CAS_ATTEMPTS = 20;

export class JetStreamPlanStore implements PlanStore {
  private bucket?: Promise<KV>;
  readonly settings: PlanBucketSettings;

  private constructor(
    private readonly nc: NatsConnection,
    settings: Partial<PlanBucketSettings>,
    private readonly now: () => number,
  ) {
    this.settings = { ...DEFAULT_PLAN_BUCKET, ...settings };
  }

  /** A store over `connector`'s JetStream; PlanStoreError('unavailable') when the connector has none. */
  static for(connector: Connector, settings: Partial<PlanBucketSettings> = {}, now: () => number = Date.now): JetStreamPlanStore {
    let nc: NatsConnection | undefined;
    try {
      nc = jetStreamOf(connector);
    } catch (err) {
      throw new PlanStoreError('unavailable', `plan state needs a connection to the broker: ${(err as Error).message}`, { cause: err });
    }
    if (!nc)
      throw new PlanStoreError('unavailable', `plan state needs NATS with JetStream; this client uses connector = ${connector.kind}`);
    return new JetStreamPlanStore(nc, settings, now);
  }

  /** Opens the bucket, creating it with these settings when missing (an existing bucket keeps its own). */
  private kv(): Promise<KV> {
    this.bucket ??= (async () => {
      const { name, maxAgeMs, replicas, timeoutMs } = this.settings;
      try {
        const js = this.nc.jetstream({ timeout: timeoutMs });
        return await js.views.kv(name, {
          history: 1,
          ttl: maxAgeMs,
          replicas,
          allow_direct: false,
          timeout: timeoutMs,
          description: 'troupe plan runs: run, step and node records',
        });
      } catch (err) {
        throw storeFailure(err, `open the plan bucket '${name}'`);
      }
    })();
    this.bucket.catch(() => (this.bucket = undefined));
    return this.bucket;
  }

  private async entry(key: string): Promise<KvEntry | null> {
    const kv = await this.kv();
    try {
      return await kv.get(key);
    } catch (err) {
      throw storeFailure(err, `read '${key}'`);
    }
  }

  /** The last value of every key matching `filter`, as entries (deleted ones left out). */
  private async entries(filter: string): Promise<KvEntry[]> {
    const kv = await this.kv();
    const keys: string[] = [];
    try {
      for await (const k of await kv.keys(filter)) keys.push(k);
    } catch (err) {
      throw storeFailure(err, `list '${filter}'`);
    }
    const got: KvEntry[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const batch = await Promise.all(keys.slice(i, i + 64).map((k) => this.entry(k)));
      got.push(...batch.filter(live));
    }
    return got;
  }

  private async runEntry(id: string): Promise<{ run: PlanRunRecord; revision: number }> {
    const e = await this.entry(runKey(id));
    if (!live(e)) throw new PlanStoreError('not_found', `no plan run ${id}`);
    return { run: decode(e, isRun, 'plan run record'), revision: e.revision };
  }

  async create(run: PlanRunRecord): Promise<void> {
    if (!isRun(run))
      throw new PlanStoreError('corrupt', `plan run ${String((run as { id?: unknown }).id)} lacks fields a plan run record needs`);
    const kv = await this.kv();
    try {
      await kv.create(runKey(run.id), encode(run));
    } catch (err) {
      if (apiCode(err) === WRONG_LAST_SEQUENCE) throw new PlanStoreError('exists', `plan run ${run.id} already exists`);
      throw storeFailure(err, `create plan run ${run.id}`);
    }
  }

  async get(id: string): Promise<PlanRunRecord | undefined> {
    const e = await this.entry(runKey(id));
    return live(e) ? decode(e, isRun, 'plan run record') : undefined;
  }

  async list(): Promise<PlanRunRecord[]> {
    const runs = (await this.entries('run.*')).map((e) => decode(e, isRun, 'plan run record'));
    return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /**
   * Reads the run, lets `change` decide its next state (or undefined: leave it), and writes it only if nobody
   * wrote in between; otherwise reads again. Resolves with what was written, or with the unchanged record.
   */
  private async modify(
    id: string,
    change: (run: PlanRunRecord) => PlanRunRecord | undefined,
  ): Promise<{ run: PlanRunRecord; written: boolean }> {
    const kv = await this.kv();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { run, revision } = await this.runEntry(id);
      const next = change(run);
      if (!next) return { run, written: false };
      try {
        await kv.update(runKey(id), encode(next), revision);
        return { run: next, written: true };
      } catch (err) {
        if (apiCode(err) !== WRONG_LAST_SEQUENCE) throw storeFailure(err, `update plan run ${id}`);
      }
    }
    throw new PlanStoreError('unavailable', `plan run ${id} kept changing under ${CAS_ATTEMPTS} attempts to update it`);
  }

  private stamped(run: PlanRunRecord, patch: Partial<Omit<PlanRunRecord, 'id'>>): PlanRunRecord {
    return { ...run, ...structuredClone(patch), id: run.id, updatedAt: new Date(this.now()).toISOString() };
  }

  async update(id: string, patch: Partial<Omit<PlanRunRecord, 'id'>>): Promise<PlanRunRecord> {
    return (await this.modify(id, (run) => this.stamped(run, patch))).run;
  }

  async recordStep(id: string, step: StepRecord): Promise<void> {
    await this.runEntry(id);
    await this.put(stepKey(id, step.step), step);
  }

  async steps(id: string): Promise<StepRecord[]> {
    const steps = (await this.entries(`step.${keyToken(id)}.*`)).map((e) => decode(e, isStep, 'step record'));
    return steps.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.step.localeCompare(b.step));
  }

  async recordNodes(id: string, step: string, nodes: NodeRecord[]): Promise<void> {
    await this.runEntry(id);
    for (let i = 0; i < nodes.length; i += 64) {
      await Promise.all(nodes.slice(i, i + 64).map((n) => this.put(nodeKey(id, step, n.identity), n)));
    }
  }

  async nodes(id: string, step: string): Promise<NodeRecord[]> {
    const nodes = (await this.entries(`node.${keyToken(id)}.${keyToken(step)}.*`)).map((e) => decode(e, isNode, 'node record'));
    return nodes.sort((a, b) => a.batch - b.batch || a.identity.localeCompare(b.identity));
  }

  async claim(id: string, lease: RunnerLease): Promise<boolean> {
    const { written } = await this.modify(id, (run) => {
      const held = run.runner;
      const mine = held && held.host === lease.host && held.pid === lease.pid;
      // The heartbeat is the holder's clock; keep runners' clocks in step (NTP) for the lease period to mean much.
      if (held && !mine && this.now() - Date.parse(held.heartbeatAt) < this.settings.leaseMs) return undefined;
      return this.stamped(run, { runner: lease });
    });
    return written;
  }

  async requestCancel(id: string, by: string): Promise<void> {
    await this.update(id, { cancelRequestedBy: by });
  }

  async close(): Promise<void> {
    // The connection belongs to the connector that lent it.
  }

  private async put(key: string, value: unknown): Promise<void> {
    const kv = await this.kv();
    try {
      await kv.put(key, encode(value));
    } catch (err) {
      throw storeFailure(err, `write '${key}'`);
    }
  }
}
