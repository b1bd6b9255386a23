// Jobs: one request run through the client library on behalf of a web user. Replies are kept (whole, in the job
// history bucket) and fanned out to the job's event subscribers in batches at most every 100 ms.
import { randomBytes } from 'node:crypto';
import type { Troupe } from '../client/connect.js';
import type { RpcReply } from '../client/call.js';
import { AbortError } from '../client/request-errors.js';
import { summariesOf } from '../client/call.js';
import type { AggregateResult, AgentDDL } from '../ddl/index.js';
import type { Filter } from '../filter/index.js';
import { JobStore } from './job-store.js';

export type JobState = 'running' | 'done' | 'cancelled' | 'failed';

export interface JobStats {
  ok: number;
  failed: number;
  noReply: number;
  pending: number;
  total: number;
}

export interface JobSummary {
  id: string;
  user: string;
  created: number;
  finished?: number;
  agent: string;
  action: string;
  filter: string;
  scopedFilter: string;
  inputs: Record<string, unknown>;
  state: JobState;
  expected: number | null;
  stats: JobStats;
  /** Why a failed job failed. */
  error?: string;
  /** The job this one reran, and on what. */
  rerunOf?: { id: string; on: 'failed' | 'noreply' };
}

export interface JobDetail extends JobSummary {
  aggregates: AggregateResult[];
  noReply: string[];
}

export interface StoredReply {
  identity: string;
  statuscode: number;
  statusmsg: string;
  ms: number;
  data: Record<string, unknown>;
}

export interface ReplyRow extends StoredReply {
  truncated?: boolean;
}

export const ROW_VALUE_LIMIT = 200;

/** A reply as a table row: every value at most 200 characters (strings cut, other values as cut JSON). */
export function rowOf(r: StoredReply): ReplyRow {
  let truncated = false;
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data ?? {})) {
    if (typeof v === 'string') {
      if (v.length > ROW_VALUE_LIMIT) {
        data[k] = v.slice(0, ROW_VALUE_LIMIT);
        truncated = true;
      } else data[k] = v;
    } else if (v !== null && typeof v === 'object') {
      const text = JSON.stringify(v);
      if (text.length > ROW_VALUE_LIMIT) {
        data[k] = text.slice(0, ROW_VALUE_LIMIT);
        truncated = true;
      } else data[k] = v;
    } else data[k] = v;
  }
  return { identity: r.identity, statuscode: r.statuscode, statusmsg: r.statusmsg, ms: r.ms, data, ...(truncated ? { truncated } : {}) };
}

const SECRET_NAME = /pass(word|phrase)?|secret|token|credential|api_?key|private_?key/i;

/** Inputs as the history keeps them: those the DDL marks secret, or named like a password or token, redacted. */
export function redactInputs(ddl: AgentDDL | undefined, action: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const declared = ddl?.actions[action]?.input ?? {};
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => {
      const secret = (declared[k] as { secret?: boolean } | undefined)?.secret === true || SECRET_NAME.test(k);
      return [k, secret ? '[redacted]' : v];
    }),
  );
}

export interface Subscriber {
  send(event: string, data: unknown): void;
  close(): void;
}

export interface JobRequest {
  user: string;
  agent: string;
  action: string;
  inputs: Record<string, unknown>;
  filterText: string;
  scopedText: string;
  filter: Filter;
  /** Identities from the node index; undefined: the library discovers. */
  nodes?: string[];
  /** `nodes` are the index's whole match of the filter (not a rerun's subset): the library may broadcast. */
  nodesMatchFilter?: boolean;
  /** The discovery method when the library discovers; default `default_discovery_method`. */
  method?: string;
  batchSize?: number;
  batchSleepMs?: number;
  limit?: number | string;
  rerunOf?: JobSummary['rerunOf'];
}

export const FLUSH_MS = 100;
/** Finished jobs kept in memory with their replies; older ones are read back from the history bucket when asked for. */
const KEEP_IN_MEMORY = 50;

/** One job in memory: its summary, its replies, its subscribers. */
export class Job {
  readonly replies = new Map<string, StoredReply>();
  readonly subscribers = new Set<Subscriber>();
  noReply: string[] = [];
  aggregates: AggregateResult[] = [];
  expectedNodes?: string[];
  private pendingRows: ReplyRow[] = [];
  private flushTimer?: NodeJS.Timeout;
  readonly abort = new AbortController();
  private ended?: Promise<void>;
  private resolveEnded?: () => void;

  constructor(
    readonly summary: JobSummary,
    private readonly onChange: (job: Job) => void,
  ) {
    if (summary.state === 'running') this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  get id(): string {
    return this.summary.id;
  }

  detail(): JobDetail {
    return { ...this.summary, aggregates: this.aggregates, noReply: this.noReply };
  }

  /** Resolves when the job has finished. */
  done(): Promise<void> {
    return this.ended ?? Promise.resolve();
  }

  recount(): void {
    const s = this.summary.stats;
    let ok = 0;
    let failed = 0;
    for (const r of this.replies.values())
      if (r.statuscode === 0) ok++;
      else failed++;
    s.ok = ok;
    s.failed = failed;
    s.noReply = this.noReply.length;
    const total = this.summary.expected ?? this.replies.size;
    s.total = Math.max(total, ok + failed + s.noReply);
    s.pending = this.summary.state === 'running' ? Math.max(0, s.total - ok - failed - s.noReply) : 0;
  }

  add(reply: StoredReply): void {
    const known = this.replies.get(reply.identity);
    const s = this.summary.stats;
    if (known) {
      if (known.statuscode === 0) s.ok--;
      else s.failed--;
    }
    this.replies.set(reply.identity, reply);
    if (reply.statuscode === 0) s.ok++;
    else s.failed++;
    s.total = Math.max(this.summary.expected ?? 0, this.replies.size);
    s.pending = Math.max(0, s.total - s.ok - s.failed - s.noReply);
    if (this.subscribers.size === 0) return;
    this.pendingRows.push(rowOf(reply));
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const rows = this.pendingRows;
    this.pendingRows = [];
    for (const sub of this.subscribers) {
      if (rows.length) sub.send('replies', rows);
      sub.send('stats', this.summary.stats);
    }
  }

  /** A new subscriber gets what is known (rows in chunks), then live batches, then `end`. */
  subscribe(sub: Subscriber): () => void {
    // Rows still waiting for the next batch go to the earlier subscribers first, so the snapshot holds each row once.
    if (this.pendingRows.length) this.flush();
    const rows = [...this.replies.values()].map(rowOf);
    for (let i = 0; i < rows.length; i += 1000) sub.send('replies', rows.slice(i, i + 1000));
    sub.send('stats', this.summary.stats);
    if (this.summary.state !== 'running') {
      sub.send('end', this.endEvent());
      sub.close();
      return () => undefined;
    }
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  private endEvent() {
    return { state: this.summary.state, stats: this.summary.stats, aggregates: this.aggregates, noReply: this.noReply };
  }

  finish(state: JobState, error?: string): void {
    if (this.summary.state !== 'running') return;
    this.summary.state = state;
    this.summary.finished = Date.now();
    if (error) this.summary.error = error;
    this.recount();
    this.flush();
    const end = this.endEvent();
    for (const sub of this.subscribers) {
      sub.send('end', end);
      sub.close();
    }
    this.subscribers.clear();
    this.onChange(this);
    this.resolveEnded?.();
  }
}

export const newJobId = (): string => `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;

/** Runs jobs and keeps them: the running and recent ones in memory, all of them in the history bucket. */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Newest first. */
  private index?: JobSummary[];
  private readonly writes = new Set<Promise<unknown>>();
  /** Replies of every running job waiting for the next history write. */
  private pendingReplies: Array<[string, StoredReply]> = [];
  private replyTimer?: NodeJS.Timeout;

  constructor(
    private readonly troupe: Troupe,
    private readonly store: JobStore | undefined,
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
  ) {}

  private persist(key: string, value: unknown): void {
    if (!this.store) return;
    this.track(this.store.put(key, value).catch((err: unknown) => this.log(`job history: cannot write ${key}`, err)));
  }

  private track(p: Promise<unknown>): void {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  /** Replies go to the history in batches, as they go to the page: one write per reply would slow the stream down. */
  private persistReply(jobId: string, reply: StoredReply): void {
    if (!this.store) return;
    this.pendingReplies.push([JobStore.replyKey(jobId, reply.identity), reply]);
    this.replyTimer ??= setTimeout(() => this.writeReplies(), FLUSH_MS);
  }

  private writeReplies(): void {
    clearTimeout(this.replyTimer);
    this.replyTimer = undefined;
    const batch = this.pendingReplies;
    this.pendingReplies = [];
    if (!this.store || batch.length === 0) return;
    this.track(this.store.putMany(batch).catch((err: unknown) => this.log(`job history: cannot write ${batch.length} replies`, err)));
  }

  /** Writes the replies waiting for their batch and waits for every history write in flight. */
  async flushWrites(): Promise<void> {
    this.writeReplies();
    while (this.writes.size) await Promise.all([...this.writes]);
  }

  private saveSummary(job: Job): void {
    // The replies first: a summary read back never counts more replies than the history holds.
    this.writeReplies();
    this.persist(JobStore.jobKey(job.id), { ...job.summary, noReply: job.noReply, aggregates: job.aggregates });
  }

  private async loadIndex(): Promise<JobSummary[]> {
    if (this.index) return this.index;
    const stored = this.store ? await this.store.values<JobDetail>('job.*').catch(() => []) : [];
    const byId = new Map<string, JobSummary>();
    for (const s of stored) byId.set(s.id, summaryOnly(s));
    for (const j of this.jobs.values()) byId.set(j.id, j.summary);
    this.index ??= [...byId.values()].sort((a, b) => b.created - a.created);
    return this.index;
  }

  async list(
    offset: number,
    limit: number,
    visible: (s: JobSummary) => boolean = () => true,
  ): Promise<{ total: number; jobs: JobSummary[] }> {
    const all = (await this.loadIndex()).filter(visible);
    return { total: all.length, jobs: all.slice(offset, offset + limit) };
  }

  /** The newest jobs that reached the node (among the last 200 visible), without loading their other replies. */
  async touching(identity: string, max = 20, visible: (s: JobSummary) => boolean = () => true): Promise<JobSummary[]> {
    const all = (await this.loadIndex()).filter(visible).slice(0, 200);
    const out: JobSummary[] = [];
    for (const s of all) {
      if (out.length >= max) break;
      const job = this.jobs.get(s.id);
      if (job) {
        if (job.replies.has(identity) || job.noReply.includes(identity) || job.expectedNodes?.includes(identity)) out.push(s);
        continue;
      }
      if (!this.store) continue;
      const replied = await this.store.get(JobStore.replyKey(s.id, identity)).catch(() => undefined);
      const stored = replied ? undefined : await this.store.get<JobDetail>(JobStore.jobKey(s.id)).catch(() => undefined);
      if (replied || stored?.noReply?.includes(identity)) out.push(s);
    }
    return out;
  }

  /** Finished jobs beyond the newest ones leave memory; the history bucket still has them. */
  private prune(): void {
    if (!this.store) return;
    const finished = [...this.jobs.values()]
      .filter((j) => j.summary.state !== 'running')
      .sort((a, b) => b.summary.created - a.summary.created);
    for (const j of finished.slice(KEEP_IN_MEMORY)) this.jobs.delete(j.id);
  }

  /** The job, from memory or the history bucket (with its replies). */
  async get(id: string): Promise<Job | undefined> {
    const known = this.jobs.get(id);
    if (known) return known;
    if (!this.store) return undefined;
    const stored = await this.store.get<JobDetail>(JobStore.jobKey(id));
    if (!stored || stored.id !== id) return undefined;
    // A job that was running when the server stopped will never finish: it reads as failed.
    const summary = summaryOnly(stored);
    const orphan = summary.state === 'running';
    if (orphan) summary.state = 'failed';
    const job = new Job(summary, (j) => this.saveSummary(j));
    job.noReply = stored.noReply ?? [];
    job.aggregates = stored.aggregates ?? [];
    for (const r of await this.store.values<StoredReply>(JobStore.repliesOf(id))) job.replies.set(r.identity, r);
    if (orphan) {
      summary.error = 'the web server stopped while the job was running';
      job.recount();
    }
    this.jobs.set(id, job);
    return job;
  }

  start(req: JobRequest, ddl: AgentDDL | undefined): Job {
    const id = newJobId();
    const summary: JobSummary = {
      id,
      user: req.user,
      created: Date.now(),
      agent: req.agent,
      action: req.action,
      filter: req.filterText,
      scopedFilter: req.scopedText,
      inputs: redactInputs(ddl, req.action, req.inputs),
      state: 'running',
      expected: req.nodes ? req.nodes.length : null,
      stats: { ok: 0, failed: 0, noReply: 0, pending: req.nodes?.length ?? 0, total: req.nodes?.length ?? 0 },
      ...(req.rerunOf ? { rerunOf: req.rerunOf } : {}),
    };
    const job = new Job(summary, (j) => {
      this.saveSummary(j);
      this.prune();
    });
    if (req.nodes) job.expectedNodes = req.nodes;
    this.jobs.set(id, job);
    this.index?.unshift(summary);
    this.saveSummary(job);
    void this.run(job, req, ddl);
    return job;
  }

  private async run(job: Job, req: JobRequest, ddl: AgentDDL | undefined): Promise<void> {
    const started = performance.now();
    const call = this.troupe.rpc(req.agent, req.action, req.inputs, {
      filter: req.filter,
      nodes: req.nodes,
      nodesMatchFilter: req.nodesMatchFilter,
      ...(req.method ? { method: req.method } : {}),
      batch: req.batchSize,
      batchSleepMs: req.batchSleepMs,
      limit: req.limit,
      signal: job.abort.signal,
      onBehalfOf: req.user,
      onProgress: (p) => {
        if (p.stage === 'discovered' && (job.summary.expected === null || job.summary.expected !== p.discovered)) {
          job.summary.expected = p.discovered;
          job.recount();
        }
      },
      ...(ddl ? { ddl } : {}),
    });
    const add = (r: RpcReply) => {
      const stored: StoredReply = {
        identity: r.sender,
        statuscode: r.statuscode,
        statusmsg: r.statusmsg,
        ms: Math.round(r.elapsedMs ?? performance.now() - started),
        data: r.data,
      };
      job.add(stored);
      this.persistReply(job.id, stored);
    };
    try {
      for await (const r of call) add(r);
      const result = await call.result();
      job.noReply = result.noResponse;
      job.aggregates = result.summaries;
      job.finish('done');
    } catch (err) {
      const replies = [...job.replies.values()];
      if (ddl)
        job.aggregates = summariesOf(
          ddl,
          req.action,
          replies.map((r) => ({ ...r, sender: r.identity, time: 0, elapsedMs: r.ms })),
        );
      if (err instanceof AbortError) {
        job.noReply = (job.expectedNodes ?? []).filter((n) => !job.replies.has(n));
        job.finish('cancelled');
      } else {
        this.log(`job ${job.id} failed`, err);
        job.finish('failed', (err as Error).message);
      }
    }
  }

  cancel(job: Job): void {
    job.abort.abort();
  }

  async close(): Promise<void> {
    for (const j of this.jobs.values()) if (j.summary.state === 'running') j.abort.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done()));
    await this.flushWrites();
  }
}

function summaryOnly(d: JobDetail | JobSummary): JobSummary {
  const { aggregates: _a, noReply: _n, ...rest } = d as JobDetail;
  void _a;
  void _n;
  return rest;
}
