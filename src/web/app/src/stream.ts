// A job's replies over Server-Sent Events. Rows gather in a plain array outside component state; the page is told
// at most once per animation frame, so a burst of 10,000 replies costs a handful of renders of the visible rows.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Aggregate, type JobDetail, type ReplyRow, type Stats } from './api.js';

export type Outcome = 'ok' | 'failed' | 'noreply';

export interface Row extends ReplyRow {
  outcome: Outcome;
}

export interface JobStream {
  summary: JobDetail | null;
  error: unknown;
  rows: Row[];
  /** Indexes into rows, per outcome. */
  byOutcome: Record<Outcome, number[]>;
  version: number;
  stats: Stats;
  state: string;
  aggregates: Aggregate[];
  ended: boolean;
}

const ZERO: Stats = { ok: 0, failed: 0, noReply: 0, pending: 0, total: 0 };

interface EndEvent {
  state: string;
  stats: Stats;
  aggregates?: Aggregate[];
  noReply?: string[];
}

function schedule(fn: () => void): () => void {
  // Hidden tabs get no animation frames; a timer keeps their buffer from growing without bound.
  if (document.hidden) {
    const t = setTimeout(fn, 250);
    return () => clearTimeout(t);
  }
  const f = requestAnimationFrame(fn);
  return () => cancelAnimationFrame(f);
}

export function useJobStream(id: string | null): JobStream {
  const [, setTick] = useState(0);
  const store = useRef<JobStream | null>(null);
  const fresh = (): JobStream => ({
    summary: null,
    error: null,
    rows: [],
    byOutcome: { ok: [], failed: [], noreply: [] },
    version: 0,
    stats: ZERO,
    state: '',
    aggregates: [],
    ended: false,
  });
  if (!store.current) store.current = fresh();

  useEffect(() => {
    if (!id) return;
    const s = fresh();
    store.current = s;
    const seen = new Map<string, number>();
    let pending: ReplyRow[] = [];
    let cancelFlush: (() => void) | null = null;
    let closed = false;

    const add = (r: ReplyRow, outcome: Outcome) => {
      const at = seen.get(r.identity);
      const row: Row = { ...r, outcome };
      if (at !== undefined) {
        // A resent reply (the stream reconnected) replaces its row; its outcome list is left as it was.
        s.rows[at] = row;
        return;
      }
      seen.set(r.identity, s.rows.length);
      s.byOutcome[outcome].push(s.rows.length);
      s.rows.push(row);
    };
    const flush = () => {
      cancelFlush = null;
      for (const r of pending) add(r, r.statuscode === 0 ? 'ok' : 'failed');
      pending = [];
      s.version++;
      setTick((t) => t + 1);
    };
    const dirty = () => {
      if (!cancelFlush && !closed) cancelFlush = schedule(flush);
    };

    get<JobDetail>(`/api/jobs/${encodeURIComponent(id)}`).then(
      (summary) => {
        s.summary = summary;
        if (!s.state) s.state = summary.state;
        if (s.stats === ZERO) s.stats = summary.stats;
        if (summary.aggregates && !s.aggregates.length) s.aggregates = summary.aggregates;
        dirty();
      },
      (e: unknown) => {
        s.error = e;
        dirty();
      },
    );

    const es = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
    let first = true;
    es.addEventListener('replies', (e) => {
      // Marks for the benchmark's breakdown of where a job's time goes (cheap; the browser keeps them in memory).
      if (first) performance.mark(`troupe:first-replies:${id}`);
      first = false;
      const batch = JSON.parse((e as MessageEvent<string>).data) as ReplyRow[];
      if (Array.isArray(batch)) for (const r of batch) pending.push(r);
      dirty();
    });
    es.addEventListener('stats', (e) => {
      s.stats = JSON.parse((e as MessageEvent<string>).data) as Stats;
      dirty();
    });
    es.addEventListener('end', (e) => {
      performance.mark(`troupe:end:${id}`);
      const end = JSON.parse((e as MessageEvent<string>).data) as EndEvent;
      es.close();
      for (const r of pending) add(r, r.statuscode === 0 ? 'ok' : 'failed');
      pending = [];
      for (const identity of end.noReply ?? []) {
        add({ identity, statuscode: -1, statusmsg: 'no reply', data: {} }, 'noreply');
      }
      s.state = end.state;
      s.stats = end.stats;
      s.aggregates = end.aggregates ?? [];
      s.ended = true;
      dirty();
      requestAnimationFrame(() => performance.mark(`troupe:end-rendered:${id}`));
    });
    es.onerror = () => {
      // The browser reconnects by itself; a stream the server closed for good (unknown job, ended) stays closed.
      if (es.readyState === EventSource.CLOSED && !s.ended) {
        s.error = s.error ?? new Error('the live stream closed');
        dirty();
      }
    };
    return () => {
      closed = true;
      es.close();
      cancelFlush?.();
    };
  }, [id]);

  return store.current;
}
