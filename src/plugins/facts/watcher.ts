import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { loadClassesFile } from './classes.js';
import { type Facts, loadFactFiles } from './files.js';

export interface FactSnapshot {
  facts: Facts;
  classes: string[];
}

export type FactChangeListener = (facts: Facts, classes: string[]) => void;
export type FactErrorListener = (error: Error) => void;

/**
 * Keeps facts and classes current by polling the files' stat data (mtime, ctime, size, inode)
 * rather than fs.watch: polling behaves the same on every file system, including NFS and
 * files replaced by rename, and a stat every few seconds costs nothing.
 *
 * A file that fails to load keeps the last good snapshot in place; the error is reported once
 * for each change of the files, not on every poll.
 */
export class FactWatcher {
  private snapshot: FactSnapshot = { facts: {}, classes: [] };
  /** Stat signature of the files when last read; undefined until the first read. */
  private seenSignature: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param paths fact files, merged in order
   * @param classesFile Puppet classes file; undefined or empty for none
   * @param intervalMs poll period; 0 or less reads once on start() and never polls
   */
  constructor(
    private readonly paths: readonly string[],
    private readonly classesFile: string | undefined,
    private readonly intervalMs: number,
    private readonly onChange: FactChangeListener,
    private readonly onError: FactErrorListener,
  ) {}

  /** The last snapshot that loaded without error. */
  get current(): FactSnapshot {
    return this.snapshot;
  }

  /**
   * Reads now, whether or not anything changed. Returns the new snapshot, or throws the load
   * error with the last good snapshot left in place. Does not call the listeners.
   */
  reload(): FactSnapshot {
    this.seenSignature = this.signature();
    this.snapshot = this.read();
    return this.snapshot;
  }

  /** Reads at once if nothing has been read yet, then checks for changes every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.check();
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    // Fact polling alone must not keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll: reload when the files' stat data changed; listeners hear about real changes only. */
  check(): void {
    const signature = this.signature();
    if (signature === this.seenSignature) return;
    // Taken before reading: a write landing mid-read changes the signature again and is re-read next poll.
    this.seenSignature = signature;
    let next: FactSnapshot;
    try {
      next = this.read();
    } catch (err) {
      this.report(err);
      return;
    }
    if (isDeepStrictEqual(next, this.snapshot)) return;
    this.snapshot = next;
    try {
      this.onChange(next.facts, next.classes);
    } catch (err) {
      this.report(err);
    }
  }

  private read(): FactSnapshot {
    const facts = loadFactFiles(this.paths);
    const classes = this.classesFile ? loadClassesFile(this.classesFile) : [];
    return { facts, classes };
  }

  private signature(): string {
    const files = this.classesFile ? [...this.paths, this.classesFile] : [...this.paths];
    return files.map(statSignature).join('|');
  }

  private report(err: unknown): void {
    this.onError(err instanceof Error ? err : new Error(String(err)));
  }
}

function statSignature(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}
