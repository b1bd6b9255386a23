// Starting a run that outlives the request (and the daemon): its own process group, output to a log or nowhere.
// A run with a record file is started through the run recorder (run-record.ts), which waits for it and writes
// down how it went.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { puppetEnv } from './paths.js';
import { RUN_RECORDER, type RecorderSpec } from './run-record.js';

/** Where a run's record is kept, and the `initiated_at` it is recorded under. */
export interface RecordTo {
  file: string;
  initiatedAt: number;
}

/** Starts `argv` detached and returns its PID once the process exists; spawn errors become PuppetAgentError. */
export type StartDetached = (argv: readonly string[], logfile?: string, record?: RecordTo) => Promise<number>;

export const startDetached: StartDetached = async (argv, logfile, record) => {
  let fd: number | 'ignore' = 'ignore';
  if (logfile && !record) {
    mkdirSync(dirname(logfile), { recursive: true });
    fd = openSync(logfile, 'a');
  }
  const command = record
    ? [
        process.execPath,
        RUN_RECORDER,
        JSON.stringify({ argv: [...argv], file: record.file, initiatedAt: record.initiatedAt, logfile } satisfies RecorderSpec),
      ]
    : argv;
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: puppetEnv() });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    // Reaped by Node when it exits, but never waited for.
    child.unref();
    return pid;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PuppetAgentError('spawn_failed', `Puppet command '${argv.join(' ')}' could not be started: ${reason}`);
  } finally {
    if (fd !== 'ignore') closeSync(fd);
  }
};
