// Text helpers: every value reaches the page as text, cut to a bounded length before it is rendered.
import { useEffect, useRef, useState } from 'preact/hooks';

export const CELL_CHARS = 200;

/** A value as one line of text, at most `max` characters (long strings are never copied whole). */
export function cellText(value: unknown, max = CELL_CHARS): string {
  let s: string;
  if (value === undefined) return '';
  if (value === null) s = 'null';
  else if (typeof value === 'string') s = value.length > max ? value.slice(0, max) : value;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else s = boundedJson(value, max + 1);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** JSON of `value`, stopping once `max` characters are written: a huge object costs only what is shown. */
export function boundedJson(value: unknown, max: number): string {
  let out = '';
  const walk = (v: unknown): boolean => {
    if (out.length >= max) return false;
    if (v === null || typeof v !== 'object') {
      const s = typeof v === 'string' ? JSON.stringify(v.length > max ? v.slice(0, max) : v) : String(JSON.stringify(v) ?? 'null');
      out += s;
      return out.length < max;
    }
    if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i) out += ',';
        if (!walk(v[i])) return false;
      }
      out += ']';
      return out.length < max;
    }
    out += '{';
    let first = true;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(k)}:`;
      if (!walk(x)) return false;
    }
    out += '}';
    return out.length < max;
  };
  walk(value);
  return out.length > max ? out.slice(0, max) : out;
}

export function timeText(ms: number | undefined): string {
  if (!ms) return '';
  const d = new Date(ms);
  return Number.isNaN(d.getTime())
    ? ''
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

export function agoText(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** `value` once it has not changed for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** A value kept in localStorage under `key` (per browser), for column choices. */
export function useStored<T>(key: string, initial: T): [T, (v: T) => void] {
  const [v, setV] = useState<T>(() => {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? initial : (JSON.parse(raw) as T);
    } catch {
      return initial;
    }
  });
  const set = (x: T) => {
    setV(x);
    try {
      localStorage.setItem(key, JSON.stringify(x));
    } catch {
      // Storage full or disabled: the choice lasts for this page only.
    }
  };
  return [v, set];
}

export function useMounted(): { current: boolean } {
  const m = useRef(true);
  useEffect(
    () => () => {
      m.current = false;
    },
    [],
  );
  return m;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
