// Process liveness as Puppet's own lock files are read: a file holding a PID, alive when kill(pid, 0) succeeds.
import { readFile } from 'node:fs/promises';

export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PID written in `file` (Puppet writes it bare, with no newline), or undefined when absent or empty. */
export async function readPidFile(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** The PID in `file` when that process is alive. */
export async function livePid(file: string): Promise<number | undefined> {
  const pid = await readPidFile(file);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}
