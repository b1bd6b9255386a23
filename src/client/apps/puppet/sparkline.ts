// How a figure spreads across the fleet, in one terminal line: 20 buckets from min to max, one tick each.

export const TICKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇'];
export const BUCKETS = 20;

export interface Distribution {
  count: number;
  min: number;
  max: number;
  avg: number;
  /** Values per bucket, BUCKETS buckets evenly spread from min to max. */
  histogram: number[];
}

export function distribution(values: readonly number[]): Distribution {
  const histogram = new Array<number>(BUCKETS).fill(0);
  if (values.length === 0) return { count: 0, min: 0, max: 0, avg: 0, histogram };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const width = (max - min) / BUCKETS;
  for (const v of values) {
    const bucket = width === 0 ? 0 : Math.min(BUCKETS - 1, Math.floor((v - min) / width));
    histogram[bucket]!++;
  }
  return { count: values.length, min, max, avg: sum / values.length, histogram };
}

/** One character per bucket: the tallest bucket gets the tallest tick, an empty bucket a space. */
export function sparkline(histogram: readonly number[]): string {
  const tallest = Math.max(0, ...histogram);
  return histogram.map((n) => (n === 0 ? ' ' : TICKS[Math.max(0, Math.ceil((n / tallest) * TICKS.length) - 1)]!)).join('');
}

/** 950, 1.2k, 3.4m: short enough for a column. */
export function shortNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}m`;
  if (abs >= 1_000) return `${(n / 1_000).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
