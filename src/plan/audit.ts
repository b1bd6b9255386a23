// The plan audit log: one JSON line per plan run (and per resumption), written when the run ends: who ran which
// plan file (by digest) with which inputs (secret ones redacted), and how each step ended.
import { pino, type Logger } from 'pino';
import type { PlanAuditRecord } from './runner.js';

export class PlanAuditLog {
  private readonly logger: Logger;
  private readonly destination: ReturnType<typeof pino.destination>;

  constructor(file: string) {
    // Synchronous, as the node's audit log: the line must be on disk before the process exits.
    this.destination = pino.destination({ dest: file, mkdir: true, sync: true, mode: 0o600 });
    this.logger = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: () => ({ type: 'plan_audit' }) } },
      this.destination,
    );
  }

  record(entry: PlanAuditRecord): void {
    this.logger.info(entry);
  }

  close(): void {
    this.destination.flushSync();
    this.destination.end();
  }
}
