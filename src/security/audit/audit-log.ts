// The audit log: one JSON line per request a node received, written by pino to its own file.
// Input values are replaced by "[redacted]" unless configured otherwise: keys tell what was asked,
// values may hold secrets. Status messages often quote an input ("Invalid revision 'hunter2'"), so
// every input value is redacted in them too.
import { pino, type Logger } from 'pino';

/** What the node records about one request (the dispatcher's audit event). */
export interface AuditEntry {
  identity: string;
  requestid?: string;
  /** When the client created the request, ms since the epoch. */
  request_time?: number;
  caller?: string;
  /** The person a service (the web console) sent the request for, as the request says; `caller` signed it. */
  on_behalf_of?: string;
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
    this.destination = pino.destination({ dest: opts.file, mkdir: true, sync: true, mode: 0o600 });
    this.logger = pino(
      // Every line starts {"type":"audit","time":…}: a fixed marker instead of pino's numeric level.
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: () => ({ type: 'audit' }) } },
      this.destination,
    );
  }

  record(entry: AuditEntry): void {
    const { data, request_time, statusmsg, ...rest } = entry;
    this.logger.info({
      ...rest,
      statusmsg: statusmsg !== undefined && data && !this.opts.logValues ? redactValues(statusmsg, data) : statusmsg,
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

/**
 * `text` with every input value that occurs in it replaced by "[redacted]": strings and numbers, also those nested
 * in lists and hashes. Occurrences are found in the original text and overlapping ones merged, so no part of a
 * value is left showing and "[redacted]" itself is never redacted again. Booleans, null and empty strings say
 * nothing secret and are left alone. A value the agent reworded before quoting it (other case, escaped) is not
 * recognised: only the values as sent are.
 */
export function redactValues(text: string, data: Record<string, unknown>): string {
  const hidden = new Uint8Array(text.length);
  // Walked with a stack, not recursion: a hostile request may nest its data deeper than the call stack allows.
  const pending: unknown[] = [data];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
      const value = String(v);
      if (value === '' || seen.has(value)) continue;
      seen.add(value);
      for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) hidden.fill(1, at, at + value.length);
    } else if (v !== null && typeof v === 'object') {
      for (const item of Object.values(v)) pending.push(item);
    }
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!hidden[i]) out += text[i];
    else if (i === 0 || !hidden[i - 1]) out += REDACTED;
  }
  return out;
}
