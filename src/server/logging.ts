import { pino, type Logger } from 'pino';

/** Daemon logs: pino JSON, one line per event, to a file or stderr. */
export function createLogger(opts: { level: string; file?: string; name?: string }): Logger {
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : pino.destination(2);
  return pino({ level: opts.level, name: opts.name ?? 'troupe', base: { pid: process.pid } }, destination);
}
