// Batch arithmetic: sizes as counts, percentages, or a list whose last entry repeats ([1, 5, "20%"]),
// with an optional canary first. Percentages are of all the step's nodes, round up, and never reach zero.
import type { BatchSpec, Count } from './model.js';

/** `N` or `N%` of `total` nodes; at least 1 for a positive spec. */
export function countOf(spec: Count, total: number): number {
  if (typeof spec === 'number') return spec;
  const pct = Number(spec.slice(0, -1));
  return Math.max(1, Math.ceil((total * pct) / 100));
}

/** The sizes of successive batches over `total` nodes; they sum to `total`. */
export function batchSizes(total: number, batch: BatchSpec | undefined): number[] {
  if (total <= 0) return [];
  const list = batch?.size === undefined ? [total] : Array.isArray(batch.size) ? batch.size : [batch.size];
  const sizes: number[] = [];
  let left = total;
  if (batch?.canary !== undefined) {
    const c = Math.min(left, Math.max(1, countOf(batch.canary, total)));
    sizes.push(c);
    left -= c;
  }
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, Math.max(1, countOf(list[Math.min(i, list.length - 1)]!, total)));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** Cuts `nodes` into batches of `sizes`. */
export function splitBatches<T>(nodes: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(nodes.slice(at, at + n));
    at += n;
  }
  return out;
}

/** The width of a sliding window: the first size, of all nodes. */
export function windowWidth(total: number, batch: BatchSpec | undefined): number {
  const size = batch?.size === undefined ? total : Array.isArray(batch.size) ? batch.size[0]! : batch.size;
  return Math.max(1, Math.min(total, countOf(size, total)));
}
