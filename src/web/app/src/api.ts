// The HTTP API of `mco web` (see the contract in the repository's coordination notes): fetch with the session cookie,
// the CSRF header on every state-changing call, and the server's error shape turned into ApiError.

export interface Caret {
  column: number;
  text: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly caret?: Caret,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Session {
  user: string;
  roles: string[];
  csrfToken: string;
  permissions?: { actions: string[]; scope: string | null; allowFleet: boolean; seeAllJobs: boolean };
}

export interface Stats {
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
  inputs: Record<string, unknown>;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  expected: number | null;
  stats: Stats;
  scopedFilter?: string;
  /** Why a failed job failed. */
  error?: string;
  rerunOf?: { id: string; on: string };
}

/** A DDL aggregate summary as ddl/aggregate.ts computes it. */
export interface Aggregate {
  function: string;
  field: string;
  displayAs?: string;
  kind: 'collection' | 'numeric';
  /** numeric: the sum or average; collection: [value, count] pairs, most common first. */
  value: number | Array<[string, number]>;
  format?: string;
  count: number;
}

export interface JobDetail extends JobSummary {
  aggregates?: Aggregate[];
  noReply: string[];
}

export interface ReplyRow {
  identity: string;
  statuscode: number;
  statusmsg: string;
  ms?: number;
  data: Record<string, unknown>;
  truncated?: boolean;
}

export interface NodeRow {
  identity: string;
  lastSeen: number;
  collectives: string[];
  agents: string[];
  classes?: string[];
  facts: Record<string, unknown>;
  /** The site whose registry holds it, with several sites. */
  site?: string;
  /** Its site's registry cannot be read now: the record is the last one read. */
  siteUnreachable?: true;
}

/** A site whose registry the console cannot read now. */
export interface UnreachableSite {
  site: string;
  reason: string;
  since: number;
}

export interface NodeDetail extends NodeRow {
  classes: string[];
  puppet?: Record<string, unknown>;
  jobs: JobSummary[];
}

export interface DdlInput {
  prompt?: string;
  description?: string;
  type: string;
  optional?: boolean;
  validation?: string;
  maxlength?: number;
  list?: unknown[];
  default?: unknown;
}

export interface DdlAction {
  name: string;
  description?: string;
  display?: string;
  input: Record<string, DdlInput>;
  output: Record<string, { description?: string; display_as?: string; type?: string }>;
  aggregate?: unknown[];
}

export interface DdlAgent {
  name: string;
  description?: string;
  actions: DdlAction[];
}

let csrfToken = '';
let onUnauthorised: () => void = () => undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any call answers 401, so the app can show the login page again. */
export function setUnauthorisedHandler(fn: () => void): void {
  onUnauthorised = fn;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = isRecord(body) && isRecord(body.error) ? body.error : {};
  const caret =
    isRecord(e.caret) && typeof e.caret.column === 'number' ? { column: e.caret.column, text: String(e.caret.text ?? '') } : undefined;
  return new ApiError(
    res.status,
    typeof e.code === 'string' ? e.code : `HTTP_${res.status}`,
    typeof e.message === 'string' ? e.message : res.statusText || `HTTP ${res.status}`,
    typeof e.hint === 'string' ? e.hint : undefined,
    caret,
    typeof e.field === 'string' ? e.field : undefined,
  );
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && path !== '/api/login') onUnauthorised();
    throw err;
  }
  return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The first `maxBytes` of a response body as text, without reading the rest: a 10 MB reply is never parsed or
 * held whole. `complete` says whether that was all of it.
 */
export async function fetchPrefix(path: string, maxBytes: number): Promise<{ text: string; complete: boolean; bytes: number }> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) throw await errorFrom(res);
  if (!res.body) {
    const text = await res.text();
    return { text: text.slice(0, maxBytes), complete: text.length <= maxBytes, bytes: text.length };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let complete = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    if (bytes >= maxBytes) {
      complete = false;
      await reader.cancel();
      break;
    }
  }
  const all = new Uint8Array(Math.min(bytes, maxBytes));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, Math.max(0, all.length - at));
    all.set(part, at);
    at += part.length;
  }
  return { text: new TextDecoder().decode(all), complete, bytes };
}
