// Narrowing a discovered set: --limit-nodes N|N% (first or seeded random), and batch sizes N|N%.
import { UsageError } from './errors.js';

/** Parses `N` or `N%` into a count of `total`; percentages round up and never reach zero. */
export function countOf(spec: string, total: number, what: string): number {
  const m = /^\s*(\d+)(%?)\s*$/.exec(spec);
  if (!m || Number(m[1]) === 0) throw new UsageError(`${what} must be a positive number or percentage, got '${spec}'`);
  const n = Number(m[1]);
  if (m[2]) {
    if (n > 100) throw new UsageError(`${what} percentage cannot exceed 100%, got '${spec}'`);
    return Math.max(1, Math.ceil((total * n) / 100));
  }
  return n;
}

/** Mulberry32: small, fast and seedable, so `--limit-seed` picks the same nodes every time. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function limitNodes(nodes: readonly string[], spec: string, method: 'first' | 'random', seed?: number): string[] {
  const count = Math.min(nodes.length, countOf(spec, nodes.length, '--limit-nodes'));
  const sorted = [...nodes].sort();
  if (method === 'first') return sorted.slice(0, count);
  const rnd = seed === undefined ? Math.random : seededRandom(seed);
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
  }
  return sorted.slice(0, count).sort();
}
