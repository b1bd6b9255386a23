// Telling a running nats-server to read its configuration again: SIGHUP to the pid in its pid_file. It then
// applies the new users, permissions and pins, and closes the connections they no longer allow.
import { readFileSync } from 'node:fs';
import {
  readBrokerSettings,
  readRestartState,
  writeBrokerConfig,
  type BrokerSettings,
  type RestartKey,
  type WrittenBrokerConfig,
} from './config.js';
import { BrokerConfigError } from './errors.js';

export type ReloadOutcome =
  | { signalled: true; pid: number; restartNeeded?: undefined }
  | { signalled: false; reason: string; restartNeeded?: undefined }
  /** The broker runs and the file changed where nats-server cannot reload: a SIGHUP would be refused whole. */
  | { signalled: false; restartNeeded: true; pid: number; reason: string };

/** The pid of the nats-server running from `pidFile`, or why there is none. */
export function runningBroker(pidFile: string): { pid: number } | { reason: string } {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { reason: `no pid file ${pidFile}: the broker is not running` };
    throw new BrokerConfigError('reload_failed', `cannot read the broker's pid file ${pidFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!/^\d+$/.test(text) || Number(text) < 2) throw new BrokerConfigError('reload_failed', `${pidFile} does not hold a process id`);
  const pid = Number(text);
  // A pid left by a broker that died may belong to another program by now: signal only a nats-server.
  const command = commandOf(pid);
  if (command === null) return { reason: `no process ${pid} (from ${pidFile}): the broker is not running` };
  if (command !== undefined && !command.startsWith('nats-server'))
    return { reason: `process ${pid} (from ${pidFile}) is ${command}, not nats-server: the broker is not running` };
  return { pid };
}

function signal(pid: number, pidFile: string): ReloadOutcome {
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH')
      return { signalled: false, reason: `no process ${pid} (from ${pidFile}): the broker is not running` };
    throw new BrokerConfigError('reload_failed', `cannot signal the broker (pid ${pid}): ${(err as Error).message}`, { cause: err });
  }
  return { signalled: true, pid };
}

export function signalBrokerReload(pidFile: string): ReloadOutcome {
  const running = runningBroker(pidFile);
  return 'pid' in running ? signal(running.pid, pidFile) : { signalled: false, reason: running.reason };
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

const SECTION_WORDS: Record<string, string> = {
  server: 'server name, client or monitoring port',
  system_account: 'system account',
  cluster: 'cluster name or port',
  gateway: 'gateway (its sites, URLs or admitted broker certificates)',
  leafnodes: 'leafnodes (remotes, users or admitted broker certificates)',
  jetstream: 'JetStream store or domain',
};

function changedSections(before: RestartKey, after: RestartKey): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]);
}

/**
 * Writes `file` for `settings` and tells the broker running it, if any, to reload: unless the file changed where
 * nats-server 2.9 cannot reload (gateways, leafnodes, ports, JetStream), which it would refuse whole and keep the old
 * configuration, users included. Then the outcome says a restart is needed, and the file remembers it until the
 * broker of that pid is gone.
 */
export function applyBrokerConfig(file: string, settings: BrokerSettings): BrokerRefresh {
  const before = readRestartState(file);
  const running = runningBroker(settings.pidFile);
  let restart: { pid: number; reason: string } | undefined;
  const written = writeBrokerConfig(file, settings, (after) => {
    if (!('pid' in running) || !before) return undefined;
    const changed = before.restartKey ? changedSections(before.restartKey, after) : [];
    if (changed.length > 0) restart = { pid: running.pid, reason: `the ${changed.map((c) => SECTION_WORDS[c] ?? c).join(', ')} changed` };
    else if (before.pendingPid === running.pid) restart = { pid: running.pid, reason: 'an earlier change still waits for it' };
    return restart?.pid;
  });
  if (restart)
    return {
      ...written,
      reload: {
        signalled: false,
        restartNeeded: true,
        pid: restart.pid,
        reason: `restart the broker (pid ${restart.pid}): ${restart.reason}, which nats-server cannot reload (it would refuse the whole file, revocations included)`,
      },
    };
  return { ...written, reload: 'pid' in running ? signal(running.pid, settings.pidFile) : { signalled: false, reason: running.reason } };
}

/** Rewrites `file` from the CA as it is now and tells the broker running it, if any, to reload. */
export function refreshBroker(file: string): BrokerRefresh {
  return applyBrokerConfig(file, readBrokerSettings(file));
}
