// Starting a run that outlives the request (and the daemon): its own process group, output to a log or nowhere.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { puppetEnv } from './paths.js';

/** Starts `argv` detached and returns its PID once the process exists; spawn errors become PuppetAgentError. */
export type StartDetached = (argv: readonly string[], logfile?: string) => Promise<number>;

export const startDetached: StartDetached = async (argv, logfile) => {
  let fd: number | 'ignore' = 'ignore';
  if (logfile) {
    mkdirSync(dirname(logfile), { recursive: true });
    fd = openSync(logfile, 'a');
  }
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: puppetEnv() });
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
