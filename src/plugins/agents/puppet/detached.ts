// Starting a run that outlives the request (and the daemon): its own process group, output to a log or nowhere.
// A run given a record file is written down as it starts, its output kept (in the run log, or in one run's output
// file), and its end recorded when its process exits while this daemon still runs (run-record.ts).
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { puppetEnv } from './paths.js';
import { endOf, runOutputFile, writeRunRecord, type RunRecord } from './run-record.js';

/** Where a run's record is kept, and the `initiated_at` it is recorded under. */
export interface RecordTo {
  file: string;
  initiatedAt: number;
  /** The run is a no-op (asked for, or Puppet's noop setting). */
  noop?: true;
}

/** Starts `argv` detached and returns its PID once the process exists; spawn errors become PuppetAgentError. */
export type StartDetached = (argv: readonly string[], logfile?: string, record?: RecordTo) => Promise<number>;

export const startDetached: StartDetached = async (argv, logfile, record) => {
  let fd: number | 'ignore' = 'ignore';
  // Without a run log, a recorded run's output still needs a home: one run's worth, replaced by the next.
  const output = logfile ?? (record ? runOutputFile(record.file) : undefined);
  if (output) {
    mkdirSync(dirname(output), { recursive: true });
    fd = openSync(output, logfile ? 'a' : 'w');
  }
  try {
    const offset = fd === 'ignore' ? 0 : fstatSync(fd).size;
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: puppetEnv() });
    // Listened for before anything else is awaited: a run that fails at once must not end unrecorded.
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    child.once('exit', (code, signal) => exited(code ?? (signal ? 128 : 1)));
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    if (record) {
      const started: RunRecord = { initiated_at: record.initiatedAt, pid, state: 'running', started_ms: Date.now(), offset };
      if (output) started.output = output;
      if (record.noop) started.noop = true;
      mkdirSync(dirname(record.file), { recursive: true });
      await writeRunRecord(record.file, started);
      void exit
        .then((code) => endOf(started, code))
        .then((ended) => writeRunRecord(record.file, ended))
        .catch(() => undefined);
    }
    // Not waited for: the daemon may exit while the run goes on.
    child.unref();
    return pid;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PuppetAgentError('spawn_failed', `Puppet command '${argv.join(' ')}' could not be started: ${reason}`);
  } finally {
    if (fd !== 'ignore') closeSync(fd);
  }
};
