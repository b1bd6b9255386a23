// Typed views of the JSON that `mco … --json`, daemon logs and audit files hold, for the tests that read them.
import type { DaemonStats } from '../../src/devkit/hostile.js';
import type { AuditEntry } from '../../src/security/audit/audit-log.js';

/** One reply in `mco rpc|puppet|facts … --json`. */
export interface ReplyJson<D = Record<string, unknown>> {
  sender: string;
  statuscode: number;
  statusmsg: string;
  data: D;
  time: string;
}

/** `mco rpc|puppet … --json`: the replies and the request's figures. */
export interface ReportJson<D = Record<string, unknown>> {
  agent: string;
  action: string;
  replies: Array<ReplyJson<D>>;
  request_stats: Record<string, unknown>;
  summaries: unknown[];
}

/** `mco ping --json`. */
export interface PingJson {
  replies: Array<{ sender: string; time_ms: number }>;
  stats: { count: number; min_ms: number; max_ms: number; avg_ms: number; wall_ms: number; last_reply_ms: number };
}

/** `mco facts FACT --json`: each value and the nodes that have it. */
export interface FactsJson {
  values: Record<string, string[]>;
}

/** `mco rpc rpcutil daemon_stats --json`. */
export type DaemonStatsJson = ReportJson<DaemonStats>;

/** One line of an audit file: the entry with its times as ISO text, and the inputs as logged (redacted). */
export type AuditLine = Omit<AuditEntry, 'request_time'> & {
  type: string;
  time: string;
  request_time?: string;
  input?: Record<string, unknown>;
};

/** One line of a daemon's pino log: level and message, and the fields the line was logged with. */
export interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  suppressed?: number;
  [field: string]: unknown;
}

/** JSON text read as the shape a test expects; the test's assertions are what check it. */
export function parseAs<T>(text: string): T {
  return JSON.parse(text) as T;
}
