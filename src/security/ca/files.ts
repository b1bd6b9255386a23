// File handling for key material: atomic writes with explicit modes, private directories, a lock for
// commands that change the CA's state while the CA service reads it.
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CAError } from './errors.js';

export const PRIVATE_FILE = 0o600;
export const PUBLIC_FILE = 0o644;
export const PRIVATE_DIR = 0o700;
export const PUBLIC_DIR = 0o755;

export function ensureDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

/** Writes via a temporary file and rename, so readers never see half a file; the mode is set before the rename. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** Writes a file that must not exist yet. */
export function writeNewFile(file: string, content: string, mode: number): void {
  ensureDir(dirname(file), PUBLIC_DIR);
  writeFileSync(file, content, { mode, flag: 'wx' });
  chmodSync(file, mode);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Takes `<dir>/.lock` if it is free; a lock older than a minute is taken to be left over from a crash. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock, { mode: PRIVATE_DIR });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - (statSafe(lock)?.mtimeMs ?? Date.now());
    if (age > 60_000) rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

const lockedError = (lock: string) => new CAError('locked', `the CA directory is locked by another command (${lock})`);

function runLocked<T>(lock: string, fn: () => T): T {
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs `fn` holding `<dir>/.lock`, waiting for it synchronously: for one-shot commands. */
export function withLock<T>(dir: string, fn: () => T, timeoutMs = 10_000): T {
  const lock = `${dir}/.lock`;
  const deadline = Date.now() + timeoutMs;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw lockedError(lock);
    Atomics.wait(sleeper, 0, 0, 25);
  }
  return runLocked(lock, fn);
}

/**
 * Runs `fn` holding `<dir>/.lock`, waiting for it without blocking the event loop, so a service keeps
 * answering other requests while a command on the CA host holds the lock. `onWait` runs once if it has to wait.
 */
export async function withLockAsync<T>(dir: string, fn: () => T, opts: { timeoutMs?: number; onWait?: () => void } = {}): Promise<T> {
  const lock = `${dir}/.lock`;
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let waited = false;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw lockedError(lock);
    if (!waited) opts.onWait?.();
    waited = true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return runLocked(lock, fn);
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
