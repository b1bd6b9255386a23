// The guard against tests that leave files behind: every run gets a temp directory of its own (TMPDIR, inherited by
// the workers and every process they start), and at the end whatever troupe made there and did not remove fails it.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What troupe's code and tests name their temporary files and directories. */
export const TEMP_PREFIX = 'troupe-';

/** The troupe entries in `dir`, sorted. */
export function troupeEntries(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(TEMP_PREFIX))
    .sort();
}

/** Entries in `after` that were not in `before`. */
export function leftBehind(before: readonly string[], after: readonly string[]): string[] {
  const had = new Set(before);
  return after.filter((name) => !had.has(name));
}

/** One line naming what a run left in `dir`, or undefined when it left nothing. */
export function leakReport(dir: string, leaked: readonly string[]): string | undefined {
  if (leaked.length === 0) return undefined;
  const shown = leaked.slice(0, 10).join(', ') + (leaked.length > 10 ? `, and ${leaked.length - 10} more` : '');
  return `the tests left ${leaked.length} ${TEMP_PREFIX}* entr${leaked.length === 1 ? 'y' : 'ies'} in ${dir}: ${shown}`;
}

export interface TempGuard {
  /** The run's temp directory. */
  dir: string;
  /** Restores TMPDIR, removes the directory, and returns the leak report (undefined when nothing was left). */
  finish(): string | undefined;
}

/** Points TMPDIR at a fresh directory below the current one and remembers what is in it. */
export function guardTempDir(parent = tmpdir()): TempGuard {
  const dir = mkdtempSync(join(parent, 'vitest-run-'));
  // Like /tmp: private RabbitMQ nodes run as their own user and must reach their directories in it.
  chmodSync(dir, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  const before = troupeEntries(dir);
  return {
    dir,
    finish() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      const report = leakReport(dir, leftBehind(before, troupeEntries(dir)));
      rmSync(dir, { recursive: true, force: true });
      return report;
    },
  };
}
