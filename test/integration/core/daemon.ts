// `mco server run --config FILE` as a child process, with its JSON log file readable by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { expect } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { MCO, runMco, startSim, type McoResult, type RunningSim, type Scratch } from '../../helpers/mco.js';
import type { NatsServerOptions } from '../../../src/devkit/nats-server.js';
import { clientConfig } from './fleet.js';
import { type DaemonStatsJson, type LogLine, parseAs } from '../../helpers/json.js';
import type { DaemonStats } from '../../../src/devkit/hostile.js';

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
  const child = spawn(process.execPath, [MCO, 'server', 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
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

export interface DaemonAndSim {
  broker: LocalNatsServer;
  daemon: RunningDaemon;
  sim: RunningSim;
  /** A raw connection to the broker, to publish what no client would. */
  nc: NatsConnection;
  /** A client config for the broker (insecure, short quiet window). */
  config: string;
  logFile: string;
  mco(args: string[]): Promise<McoResult>;
  /** rpcutil daemon_stats of one node. */
  daemonStats(identity: string): Promise<DaemonStats>;
  /** daemon_stats polled until `ok` holds, or its last answer after `tries` (a rejected request has no reply to wait for). */
  statsWhen(identity: string, ok: (s: DaemonStats) => boolean, tries?: number): Promise<DaemonStats>;
  stop(): Promise<void>;
}

/** A real daemon (insecure, facts from `facts`) and `mco sim` nodes (`simArgs`) on one private broker; files in `scratch`. */
export async function startDaemonAndSim(
  scratch: Scratch,
  o: { identity: string; facts: string; simArgs: string[]; broker?: NatsServerOptions },
): Promise<DaemonAndSim> {
  const broker = await startNatsServer(o.broker);
  const logFile = join(scratch.dir, 'daemon.log');
  const facts = scratch.file('facts.yaml', o.facts);
  const serverCfg = scratch.config('server.cfg', {
    identity: o.identity,
    middleware_hosts: broker.url,
    securityprovider: 'insecure',
    'plugin.yaml': facts,
    classesfile: join(scratch.dir, 'classes.txt'),
    logfile: logFile,
    loglevel: 'info',
  });
  const config = clientConfig(scratch, broker.url);
  const started = await Promise.allSettled([startDaemon(serverCfg, logFile), startSim([...o.simArgs, '--server', broker.url])] as const);
  const [daemon, sim] = started;
  if (daemon.status === 'rejected' || sim.status === 'rejected') {
    await Promise.all([daemon.status === 'fulfilled' && daemon.value.stop(), sim.status === 'fulfilled' && sim.value.stop()]);
    await broker.stop();
    throw daemon.status === 'rejected' ? daemon.reason : (sim as PromiseRejectedResult).reason;
  }
  const nc = await connect({ servers: broker.url.replace('nats://', '') });
  const mco = (args: string[]) => runMco([...args, '--config', config]);
  const daemonStats = async (identity: string) => {
    const r = await mco(['rpc', 'rpcutil', 'daemon_stats', '-I', identity, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return parseAs<DaemonStatsJson>(r.stdout).replies[0]!.data;
  };
  return {
    broker,
    daemon: daemon.value,
    sim: sim.value,
    nc,
    config,
    logFile,
    mco,
    daemonStats,
    async statsWhen(identity, ok, tries = 20) {
      let s = await daemonStats(identity);
      for (let i = 0; i < tries && !ok(s); i++) {
        await new Promise((r) => setTimeout(r, 200));
        s = await daemonStats(identity);
      }
      return s;
    },
    async stop() {
      await nc.close();
      await Promise.all([daemon.value.stop(), sim.value.stop()]);
      await broker.stop();
    },
  };
}
