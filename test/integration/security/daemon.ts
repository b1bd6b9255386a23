// A real `mco server run` for the security tests: started and stopped by the devkit's helpers, shared with the
// flood rig (ready once its log file says so; SIGTERM, then SIGKILL after 10 s).
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startDaemonProcess, stopProcess } from '../../../src/devkit/hostile-rig.js';
import type { DevPki } from '../../../src/devkit/pki.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { scratchDir, type Scratch } from '../../helpers/mco.js';
import { Injector } from './craft.js';

export { stopProcess as stopDaemon } from '../../../src/devkit/hostile-rig.js';

export function startDaemon(configFile: string, logFile: string, timeoutMs = 20_000): Promise<ChildProcess> {
  return startDaemonProcess(configFile, logFile, [], timeoutMs);
}

/** The daemon's JSON log lines. */
export function logLines(logFile: string): Array<Record<string, unknown>> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface PkiNode {
  nats: LocalNatsServer;
  scratch: Scratch;
  logFile: string;
  daemon: ChildProcess;
  /** Connected to the broker, to send crafted requests. */
  injector: Injector;
  /** Closes the injector, stops the daemon and the broker, and removes the scratch directory. */
  stop(): Promise<void>;
}

/** A real daemon as `identity` with `securityprovider = pki` from `pki` (plus `security` keys), on a private broker. */
export async function startPkiNode(
  pki: DevPki,
  identity: string,
  o: { prefix: string; security?: Record<string, string | number> },
): Promise<PkiNode> {
  const nats = await startNatsServer();
  const scratch = scratchDir(o.prefix);
  const logFile = join(scratch.dir, 'node.log');
  let daemon: ChildProcess | undefined;
  const injector = new Injector(nats.url);
  const stop = async () => {
    await injector.close().catch(() => undefined);
    if (daemon) await stopProcess(daemon);
    await nats.stop();
    scratch.cleanup();
  };
  try {
    const keys = { identity, middleware_hosts: nats.url, logfile: logFile, loglevel: 'info', ...pki.serverConfig(o.security) };
    const serverCfg = scratch.config('server.cfg', keys);
    daemon = await startDaemon(serverCfg, logFile);
    await injector.connect();
    return { nats, scratch, logFile, daemon, injector, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
