// Where a plan run's state lives, so another runner can show, cancel or resume it.
// The runner records as it goes; JetStream keeps it across runner deaths (plan/jetstream-store.ts).
import { TroupeError, type ErrorCodeTable } from '../errors.js';

export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What happened to one node in one step. A node that never answered is `silent`, and counts as failed. */
export type NodeOutcome = 'ok' | 'failed' | 'silent';

export interface RunnerLease {
  host: string;
  pid: number;
  /** ISO time of the runner's last heartbeat; a lease older than the store's lease period is free. */
  heartbeatAt: string;
}

export interface PlanRunRecord {
  id: string;
  /** The plan's `name`, or its file name. */
  plan: string;
  file?: string;
  /** SHA-256 of the plan file's bytes: resume refuses a file that has changed since the run began. */
  planDigest: string;
  inputs: Record<string, unknown>;
  /** Who started it (the signing identity's name). */
  caller: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  state: RunState;
  /** The step being run, by its path in the plan (`deploy`, `on_fail.notify`, `nested.restart`). */
  currentStep?: string;
  /** Why it stopped: a budget exceeded and the nodes that spent it, or an error. */
  reason?: string;
  runner?: RunnerLease;
  cancelRequestedBy?: string;
}

export interface StepRecord {
  step: string;
  state: 'running' | 'done' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt?: string;
  /** The step's saved result (what later steps read by name); JSON-serialisable. */
  result?: unknown;
}

export interface NodeRecord {
  identity: string;
  outcome: NodeOutcome;
  /** Batch number within the step, from 1. */
  batch: number;
  statuscode?: number;
  statusmsg?: string;
  at: string;
}

export interface PlanStore {
  /** Fails with PlanStoreError('exists') when the id is taken. */
  create(run: PlanRunRecord): Promise<void>;
  get(id: string): Promise<PlanRunRecord | undefined>;
  /** Newest first. */
  list(): Promise<PlanRunRecord[]>;
  /** Applies a patch and returns the new record; fails with PlanStoreError('not_found'). */
  update(id: string, patch: Partial<Omit<PlanRunRecord, 'id'>>): Promise<PlanRunRecord>;
  recordStep(id: string, step: StepRecord): Promise<void>;
  steps(id: string): Promise<StepRecord[]>;
  /** Records outcomes for nodes of one step; a later record for the same node replaces the earlier one. */
  recordNodes(id: string, step: string, nodes: NodeRecord[]): Promise<void>;
  nodes(id: string, step: string): Promise<NodeRecord[]>;
  /**
   * Takes the runner lease, or renews it when `lease` is this process's. Returns false while another runner's
   * lease is live (heartbeat within the lease period), so two runners never drive one plan run.
   */
  claim(id: string, lease: RunnerLease): Promise<boolean>;
  requestCancel(id: string, by: string): Promise<void>;
  close(): Promise<void>;
}

export const PLAN_STORE_ERROR_CODES = {
  exists: 'a plan run with that id already exists',
  not_found: 'no plan run with that id',
  unavailable: 'the plan store cannot be reached',
  corrupt: 'a stored plan run record cannot be read back',
} as const satisfies ErrorCodeTable;
export type PlanStoreErrorCode = keyof typeof PLAN_STORE_ERROR_CODES;

export class PlanStoreError extends TroupeError {
  override readonly name = 'PlanStoreError';
  declare readonly code: PlanStoreErrorCode;
  constructor(code: PlanStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A store in memory: for unit tests and `--plan` dry runs. */
export class MemoryPlanStore implements PlanStore {
  private readonly runs = new Map<string, PlanRunRecord>();
  private readonly stepRecords = new Map<string, Map<string, StepRecord>>();
  private readonly nodeRecords = new Map<string, Map<string, NodeRecord>>();

  constructor(
    private readonly leaseMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async create(run: PlanRunRecord): Promise<void> {
    if (this.runs.has(run.id)) throw new PlanStoreError('exists', `plan run ${run.id} already exists`);
    this.runs.set(run.id, structuredClone(run));
  }

  async get(id: string): Promise<PlanRunRecord | undefined> {
    const run = this.runs.get(id);
    return run && structuredClone(run);
  }

  async list(): Promise<PlanRunRecord[]> {
    return [...this.runs.values()].map((r) => structuredClone(r)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async update(id: string, patch: Partial<Omit<PlanRunRecord, 'id'>>): Promise<PlanRunRecord> {
    const run = this.runs.get(id);
    if (!run) throw new PlanStoreError('not_found', `no plan run ${id}`);
    const next = { ...run, ...structuredClone(patch), id, updatedAt: new Date(this.now()).toISOString() };
    this.runs.set(id, next);
    return structuredClone(next);
  }

  async recordStep(id: string, step: StepRecord): Promise<void> {
    this.mustExist(id);
    const steps = this.stepRecords.get(id) ?? new Map<string, StepRecord>();
    steps.set(step.step, structuredClone(step));
    this.stepRecords.set(id, steps);
  }

  async steps(id: string): Promise<StepRecord[]> {
    return [...(this.stepRecords.get(id)?.values() ?? [])].map((s) => structuredClone(s));
  }

  async recordNodes(id: string, step: string, nodes: NodeRecord[]): Promise<void> {
    this.mustExist(id);
    const key = `${id}\u0000${step}`;
    const map = this.nodeRecords.get(key) ?? new Map<string, NodeRecord>();
    for (const n of nodes) map.set(n.identity, structuredClone(n));
    this.nodeRecords.set(key, map);
  }

  async nodes(id: string, step: string): Promise<NodeRecord[]> {
    return [...(this.nodeRecords.get(`${id}\u0000${step}`)?.values() ?? [])].map((n) => structuredClone(n));
  }

  async claim(id: string, lease: RunnerLease): Promise<boolean> {
    const run = this.mustExist(id);
    const held = run.runner;
    const mine = held && held.host === lease.host && held.pid === lease.pid;
    if (held && !mine && this.now() - Date.parse(held.heartbeatAt) < this.leaseMs) return false;
    await this.update(id, { runner: lease });
    return true;
  }

  async requestCancel(id: string, by: string): Promise<void> {
    this.mustExist(id);
    await this.update(id, { cancelRequestedBy: by });
  }

  async close(): Promise<void> {}

  private mustExist(id: string): PlanRunRecord {
    const run = this.runs.get(id);
    if (!run) throw new PlanStoreError('not_found', `no plan run ${id}`);
    return run;
  }
}
