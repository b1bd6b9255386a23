// The replay cache's ids on disk, so a restarted node still refuses what it ran before. An append-only file of JSON
// lines, one per id, written with a synchronous write() before the action runs: it survives the daemon crashing or
// being killed at any point. The file is flushed to the disk (fdatasync) within a second of a write, so a machine
// crash can lose at most the last second of ids. Rewritten (compacted) to the live ids when it holds twice as many
// lines as there are live ids.
import { closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { SecurityError } from '../provider.js';

export interface ReplayRecord {
  id: string;
  /** Until when (ms since the epoch) the id is a replay. */
  until: number;
  caller: string;
}

const MIN_LINES_BEFORE_COMPACTION = 1024;
const SYNC_DELAY_MS = 1000;

export class ReplayJournal {
  private fd: number;
  private lines = 0;
  private dirty = false;
  private syncTimer?: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    /** Ids read at open (expired ones included; the cache drops them). */
    readonly records: readonly ReplayRecord[],
    /** The file was there and readable: it covers what ran before, so no start floor is needed. */
    readonly continuous: boolean,
    /** The smallest max_ttl recorded in the file, when any. */
    readonly maxTtlMs: number | undefined,
    /** Lines that could not be read. */
    readonly skipped: number,
  ) {
    this.fd = openAppend(path);
  }

  /**
   * Reads `path` if it exists and opens it for appending; throws SecurityError when it cannot be used. The cache
   * compacts it at once, which also drops a torn last line.
   */
  static open(path: string): ReplayJournal {
    const records: ReplayRecord[] = [];
    let maxTtlMs: number | undefined;
    let skipped = 0;
    let continuous = false;
    if (existsSync(path)) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new SecurityError('not_configured', `plugin.security.replay_file ${path} cannot be read: ${(err as Error).message}`);
      }
      const lines = text.split('\n');
      for (const [i, line] of lines.entries()) {
        if (!line) continue;
        const parsed = parseLine(line);
        if (parsed === undefined) {
          // A torn last line (a crash mid-write) loses nothing that ran; damage elsewhere means ids may be missing.
          const torn = i === lines.length - 1 && !text.endsWith('\n');
          if (!torn) skipped++;
        } else if ('max_ttl' in parsed) maxTtlMs = Math.min(maxTtlMs ?? Infinity, parsed.max_ttl);
        else records.push(parsed);
      }
      continuous = skipped === 0;
    }
    return new ReplayJournal(path, records, continuous, maxTtlMs, skipped);
  }

  append(record: ReplayRecord): void {
    this.write(JSON.stringify(record) + '\n');
  }

  /** Notes a new cap, so a restart knows which cap the ids were kept under. */
  setMaxTtl(maxTtlMs: number): void {
    this.write(JSON.stringify({ max_ttl: maxTtlMs }) + '\n');
  }

  wantsCompaction(liveIds: number): boolean {
    return this.lines > Math.max(MIN_LINES_BEFORE_COMPACTION, 2 * liveIds);
  }

  /** Replaces the file by one holding only `live` (written to a temporary file, flushed, then renamed over it). */
  compact(live: Iterable<ReplayRecord>, maxTtlMs: number): void {
    const tmp = `${this.path}.tmp`;
    let text = JSON.stringify({ max_ttl: maxTtlMs }) + '\n';
    let count = 1;
    for (const r of live) {
      text += JSON.stringify(r) + '\n';
      count++;
    }
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      throw new SecurityError('replay_journal', `cannot rewrite ${this.path}: ${(err as Error).message}`);
    }
    closeSync(this.fd);
    this.fd = openAppend(this.path);
    this.lines = count;
  }

  close(): void {
    clearTimeout(this.syncTimer);
    try {
      if (this.dirty) fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }

  private write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch (err) {
      // Refuse rather than run something a restart could not recognise as a replay.
      throw new SecurityError('replay_journal', `cannot record the request id in ${this.path}: ${(err as Error).message}`);
    }
    this.lines++;
    this.dirty = true;
    this.syncTimer ??= setTimeout(() => this.flush(), SYNC_DELAY_MS).unref();
  }

  private flush(): void {
    this.syncTimer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    fdatasync(this.fd, () => undefined);
  }
}

function openAppend(path: string): number {
  try {
    return openSync(path, 'a', 0o600);
  } catch (err) {
    throw new SecurityError('not_configured', `plugin.security.replay_file ${path} cannot be written: ${(err as Error).message}`);
  }
}

function parseLine(line: string): ReplayRecord | { max_ttl: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.max_ttl === 'number') return { max_ttl: o.max_ttl };
  if (typeof o.id === 'string' && typeof o.until === 'number' && typeof o.caller === 'string')
    return { id: o.id, until: o.until, caller: o.caller };
  return undefined;
}
