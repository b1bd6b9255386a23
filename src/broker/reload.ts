// Telling a running nats-server to read its configuration again: SIGHUP to the pid in its pid_file. It then
// applies the new users, permissions and pins, and closes the connections they no longer allow.
import { readFileSync } from 'node:fs';
import { readBrokerSettings, regenerateBrokerConfig, type WrittenBrokerConfig } from './config.js';
import { BrokerConfigError } from './errors.js';

export type ReloadOutcome = { signalled: true; pid: number } | { signalled: false; reason: string };

export function signalBrokerReload(pidFile: string): ReloadOutcome {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { signalled: false, reason: `no pid file ${pidFile}: the broker is not running` };
    throw new BrokerConfigError('reload_failed', `cannot read the broker's pid file ${pidFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!/^\d+$/.test(text) || Number(text) < 2) throw new BrokerConfigError('reload_failed', `${pidFile} does not hold a process id`);
  const pid = Number(text);
  // A pid left by a broker that died may belong to another program by now: signal only a nats-server.
  const command = commandOf(pid);
  if (command === null) return { signalled: false, reason: `no process ${pid} (from ${pidFile}): the broker is not running` };
  if (command !== undefined && !command.startsWith('nats-server'))
    return { signalled: false, reason: `process ${pid} (from ${pidFile}) is ${command}, not nats-server: the broker is not running` };
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH')
      return { signalled: false, reason: `no process ${pid} (from ${pidFile}): the broker is not running` };
    throw new BrokerConfigError('reload_failed', `cannot signal the broker (pid ${pid}): ${(err as Error).message}`, { cause: err });
  }
  return { signalled: true, pid };
}

/** The command name of `pid` as Linux's /proc tells it; null: no such process; undefined: cannot tell (no /proc). */
function commandOf(pid: number): string | null | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    try {
      readFileSync('/proc/self/comm');
    } catch {
      return undefined;
    }
    return null;
  }
}

export interface BrokerRefresh extends WrittenBrokerConfig {
  reload: ReloadOutcome;
}

/** Rewrites `file` from the CA as it is now and tells the broker running it, if any, to reload. */
export function refreshBroker(file: string): BrokerRefresh {
  const written = regenerateBrokerConfig(file);
  return { ...written, reload: signalBrokerReload(readBrokerSettings(file).pidFile) };
}
