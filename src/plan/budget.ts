// Failure budgets: per batch (a count, or a percentage a batch may not exceed) and for the whole step (a count,
// or a percentage of all its nodes). A silent node counts as failed. A canary batch has no budget: one failure
// stops the plan. With no budget at all, the first failure stops it, as a rollout should by default.
import type { BudgetSpec, Count } from './model.js';

export interface Exceeded {
  /** `batch 2: 3 of 10 failed (30%), over the batch budget of 20%`. */
  message: string;
  nodes: string[];
}

function allows(limit: Count, failed: number, of: number): boolean {
  if (typeof limit === 'number') return failed <= limit;
  return of === 0 || (failed * 100) / of <= Number(limit.slice(0, -1));
}

const pct = (n: number, of: number) => `${Math.round((n * 1000) / Math.max(1, of)) / 10}%`;

export class FailureBudget {
  private readonly failed: string[] = [];
  private readonly batchLimit?: Count;
  private readonly totalLimit?: Count;

  constructor(
    spec: BudgetSpec | undefined,
    private readonly totalNodes: number,
  ) {
    this.batchLimit = spec?.batch;
    // Neither given: nothing may fail.
    this.totalLimit = spec?.batch === undefined && spec?.total === undefined ? 0 : spec?.total;
  }

  get failures(): readonly string[] {
    return this.failed;
  }

  /** Counts one batch's failures; says which budget they exceed, if any. */
  afterBatch(label: string, size: number, failed: readonly string[], canary = false): Exceeded | undefined {
    this.failed.push(...failed);
    const nodes = [...failed].sort();
    if (canary && failed.length > 0) {
      return { message: `${label} (canary): ${failed.length} of ${size} failed; a canary may not fail`, nodes };
    }
    if (this.batchLimit !== undefined && !allows(this.batchLimit, failed.length, size)) {
      return {
        message: `${label}: ${failed.length} of ${size} failed (${pct(failed.length, size)}), over the batch budget of ${this.batchLimit}`,
        nodes,
      };
    }
    return this.checkTotal(label);
  }

  /** For a sliding window: counts one node's failure and checks the step's budget, and the window's over `recent`. */
  afterNode(label: string, failedNode: string | undefined, recent: { size: number; failed: readonly string[] }): Exceeded | undefined {
    if (failedNode === undefined) return undefined;
    this.failed.push(failedNode);
    if (this.batchLimit !== undefined && recent.size > 0 && !allows(this.batchLimit, recent.failed.length, recent.size)) {
      return {
        message: `${label}: ${recent.failed.length} of the last ${recent.size} failed (${pct(recent.failed.length, recent.size)}), over the batch budget of ${this.batchLimit}`,
        nodes: [...recent.failed].sort(),
      };
    }
    return this.checkTotal(label);
  }

  private checkTotal(label: string): Exceeded | undefined {
    if (this.totalLimit === undefined || allows(this.totalLimit, this.failed.length, this.totalNodes)) return undefined;
    const limit = this.totalLimit === 0 ? 'no failures allowed' : `over the step's budget of ${this.totalLimit}`;
    return {
      message: `${label}: ${this.failed.length} of ${this.totalNodes} failed so far (${pct(this.failed.length, this.totalNodes)}), ${limit}`,
      nodes: [...this.failed].sort(),
    };
  }
}
