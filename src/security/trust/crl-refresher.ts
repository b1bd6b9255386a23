// Keeps a TrustStore's revocation list current: re-reads the CRL file when it changes and, when a CA service
// is configured, downloads the CA's latest CRL into that file. When the CA is unreachable the last CRL stays
// in force, so the collective keeps working while the CA host is down.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { silentLog, type SecurityLog } from '../log.js';
import type { TrustStore } from './trust-store.js';

export interface CrlRefresherOptions {
  /** Where the CRL lives (and where downloads are written). */
  file?: string;
  /** Fetches the CA's current CRL as PEM. */
  download?: () => Promise<string>;
  intervalMs: number;
  log?: SecurityLog;
}

export class CrlRefresher {
  private timer?: NodeJS.Timeout;
  private seen?: { mtimeMs: number; size: number };
  private running?: Promise<void>;
  private downloadFailing = false;
  private readonly log: SecurityLog;

  constructor(
    private readonly trust: TrustStore,
    private readonly opts: CrlRefresherOptions,
  ) {
    this.log = opts.log ?? silentLog;
  }

  /** Loads the CRL file now, if there is one; a broken file is an error worth stopping for. */
  loadFile(): boolean {
    const { file } = this.opts;
    if (!file) return false;
    const stat = statOrUndefined(file);
    if (!stat) {
      this.log.warn({ file }, 'no CRL file: certificate revocation is not checked until one arrives');
      return false;
    }
    this.trust.loadCrl(readFileSync(file, 'utf8'));
    this.seen = { mtimeMs: stat.mtimeMs, size: stat.size };
    return true;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One refresh; concurrent calls share the run in progress. */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    if (this.opts.download && (await this.fromService())) return;
    this.fromFile();
  }

  private async fromService(): Promise<boolean> {
    let pem: string;
    try {
      pem = await this.opts.download!();
    } catch (err) {
      if (!this.downloadFailing)
        this.log.warn({ err: (err as Error).message }, 'cannot fetch the CRL from the CA service; keeping the current one');
      this.downloadFailing = true;
      return false;
    }
    if (this.downloadFailing) this.log.info({}, 'CA service reachable again');
    this.downloadFailing = false;
    const before = this.trust.crlStatus().revoked;
    try {
      this.trust.loadCrl(pem);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'the CA service sent a CRL that does not verify; keeping the current one');
      return false;
    }
    if (this.opts.file) this.save(this.opts.file, pem);
    const after = this.trust.crlStatus().revoked;
    if (after !== before) this.log.info({ revoked: after }, 'CRL updated from the CA service');
    return true;
  }

  private save(file: string, pem: string): void {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, pem, { mode: 0o644 });
      renameSync(tmp, file);
      const stat = statSync(file);
      this.seen = { mtimeMs: stat.mtimeMs, size: stat.size };
    } catch (err) {
      this.log.warn({ file, err: (err as Error).message }, 'cannot save the downloaded CRL');
    }
  }

  private fromFile(): void {
    const { file } = this.opts;
    if (!file) return;
    const stat = statOrUndefined(file);
    if (!stat || (this.seen && stat.mtimeMs === this.seen.mtimeMs && stat.size === this.seen.size)) return;
    try {
      this.trust.loadCrl(readFileSync(file, 'utf8'));
      this.seen = { mtimeMs: stat.mtimeMs, size: stat.size };
      this.log.info({ file, revoked: this.trust.crlStatus().revoked }, 'CRL reloaded');
    } catch (err) {
      this.log.error({ file, err: (err as Error).message }, 'CRL file does not verify; keeping the current one');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
