// The audit log: one JSON line per request a node received, written by pino to its own file.
// Input values are replaced by "[redacted]" unless configured otherwise: keys tell what was asked,
// values may hold secrets.
import { pino, type Logger } from 'pino';

/** What the node records about one request (the dispatcher's audit event). */
export interface AuditEntry {
  identity: string;
  requestid?: string;
  /** When the client created the request, ms since the epoch. */
  request_time?: number;
  caller?: string;
  sender?: string;
  agent?: string;
  action?: string;
  collective?: string;
  data?: Record<string, unknown>;
  /** rejected: failed authentication or checks before authorisation (reason says which). */
  decision: 'allowed' | 'denied' | 'rejected';
  reason?: string;
  statuscode?: number;
  statusmsg?: string;
}

export interface AuditLogOptions {
  file: string;
  /** Write input values instead of "[redacted]". */
  logValues?: boolean;
}

export const REDACTED = '[redacted]';

export class AuditLog {
  private readonly logger: Logger;
  private readonly destination: ReturnType<typeof pino.destination>;

  constructor(private readonly opts: AuditLogOptions) {
    // Synchronous writes: an audit line must not be lost when the daemon dies right after an action.
    this.destination = pino.destination({ dest: opts.file, mkdir: true, sync: true, mode: 0o600 } as Parameters<typeof pino.destination>[0]);
    this.logger = pino(
      // Every line starts {"type":"audit","time":…}: a fixed marker instead of pino's numeric level.
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: () => ({ type: 'audit' }) } },
      this.destination,
    );
  }

  record(entry: AuditEntry): void {
    const { data, request_time, ...rest } = entry;
    this.logger.info({
      ...rest,
      request_time: request_time === undefined ? undefined : new Date(request_time).toISOString(),
      input: data ? this.inputs(data) : undefined,
    });
  }

  private inputs(data: Record<string, unknown>): Record<string, unknown> {
    if (this.opts.logValues) return data;
    return Object.fromEntries(Object.keys(data).map((k) => [k, REDACTED]));
  }

  close(): void {
    this.destination.flushSync();
    this.destination.end();
  }
}
