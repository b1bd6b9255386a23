// Scratch directories for tests. Each is removed by its cleanup(), or at the end of the test file that made it
// (scratch-cleanup.ts, a vitest setup file), whichever comes first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configText } from '../../src/devkit/pki.js';

export interface Scratch {
  dir: string;
  /** Writes `name` in the directory and returns its path. */
  file(name: string, content: string): string;
  /** Writes `name` as a troupe config file (`key = value` lines) and returns its path. */
  config(name: string, keys: Record<string, string | number>): string;
  cleanup(): void;
}

const made = new Set<string>();

export function scratchDir(prefix = 'troupe-test-'): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    config(name, keys) {
      return this.file(name, configText(keys));
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      made.delete(dir);
    },
  };
}

/** Removes every scratch directory made in this module instance that is still there. */
export function removeScratchDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}
