// `mco server run --config FILE` as a child process, with its JSON log file readable by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { LogLine } from '../../helpers/json.js';
import { MCO } from '../../helpers/mco.js';

export interface RunningDaemon {
  child: ChildProcess;
  /** Parsed lines of the daemon's log file so far. */
  log(): Array<LogLine>;
  /** Resolves when a log line satisfies `match` (checked every 25 ms). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` and resolves with the exit code (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `env` replaces the daemon's environment (the test's own by default). */
export async function startDaemon(configFile: string, logFile: string, env?: NodeJS.ProcessEnv): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [MCO, 'server', 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const log = () =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .flatMap((l) => {
            try {
              return [JSON.parse(l) as LogLine];
            } catch {
              return [];
            }
          })
      : [];

  const waitForLog = async (match: (line: LogLine) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = log().find(match);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`daemon log never matched; stderr: ${stderr}\nlog: ${JSON.stringify(log().slice(-5))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const daemon: RunningDaemon = {
    child,
    log,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill(signal);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
  try {
    await waitForLog((l) => l.msg === 'node daemon ready');
  } catch (err) {
    await daemon.stop('SIGKILL');
    throw err;
  }
  return daemon;
}
