// A real node daemon (`mco server run`, pki security, action policies) on a private nats-server, with the
// certificates the hostile flood signs with: ops (allowed), greedy (allowed, floods valid requests), mallory
// (a valid client certificate the policy allows nothing) and a certificate from another CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../protocol/index.js';
import { startNatsServer, type LocalNatsServer } from './nats-server.js';
import { configText, createDevPki, type DevPki } from './pki.js';
import { signerFrom, type FloodSigners } from './hostile.js';

export const RIG_NODE = 'node1.example.net';

export interface HostileRigOptions {
  /** Extra server config lines; `{dir}` in a value is the rig's directory. */
  config?: Record<string, string | number>;
  /** Node flags for the daemon, e.g. `--max-old-space-size=256`. */
  nodeArgs?: string[];
  /** Write the audit log (`audit.log` in the rig's directory). */
  audit?: boolean;
}

export interface HostileRig {
  url: string;
  identity: string;
  dir: string;
  signers: FloodSigners;
  /** The running daemon (a new process after restart()). */
  readonly daemon: ChildProcess;
  configFile: string;
  logFile: string;
  auditFile: string;
  /** A client config for real `mco` commands as ops.troupe. */
  clientConfig: string;
  pki: DevPki;
  /** SIGHUP: resolves once the daemon has reloaded and is ready again. */
  reload(): Promise<void>;
  /** Stops the daemon (SIGTERM) and starts a new one on the same config. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHostileRig(opts: HostileRigOptions = {}): Promise<HostileRig> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-hostile-'));
  const pki = createDevPki({ dir: join(dir, 'pki'), nodes: [RIG_NODE], clients: ['ops.troupe', 'greedy.troupe', 'mallory.troupe'] });
  const foreign = createDevPki({ dir: join(dir, 'foreign'), clients: ['ops.troupe'] });
  let nats: LocalNatsServer | undefined;
  try {
    nats = await startNatsServer();
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'rpcutil.policy'),
      ['policy default deny', 'allow\tcert=ops.troupe cert=greedy.troupe\t*\t*\t*', ''].join('\n'),
    );
    const logFile = join(dir, 'node.log');
    const auditFile = join(dir, 'audit.log');
    const serverCfg = join(dir, 'server.cfg');
    writeFileSync(
      serverCfg,
      configText({
        identity: RIG_NODE,
        middleware_hosts: nats.url,
        logfile: logFile,
        loglevel: 'info',
        classesfile: join(dir, 'classes.txt'),
        rpcauthorization: 1,
        'plugin.actionpolicy.dir': policies,
        ...(opts.audit ? { rpcaudit: 1, 'plugin.rpcaudit.logfile': auditFile } : {}),
        ...pki.serverConfig(
          Object.fromEntries(
            Object.entries(opts.config ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll('{dir}', dir) : v]),
          ),
        ),
      }),
    );
    const clientConfig = join(dir, 'client.cfg');
    writeFileSync(clientConfig, configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig('ops.troupe') }));
    let daemon = await startDaemonProcess(serverCfg, logFile, opts.nodeArgs);
    const signer = (p: DevPki, name: string) => signerFrom(p.certPath(name), p.keyPath(name), name);
    const broker = nats;
    return {
      url: nats.url,
      identity: RIG_NODE,
      dir,
      signers: {
        ops: signer(pki, 'ops.troupe'),
        greedy: signer(pki, 'greedy.troupe'),
        mallory: signer(pki, 'mallory.troupe'),
        foreign: signer(foreign, 'ops.troupe'),
      },
      get daemon() {
        return daemon;
      },
      configFile: serverCfg,
      logFile,
      auditFile,
      clientConfig,
      pki,
      async reload() {
        const before = readyLines(logFile);
        daemon.kill('SIGHUP');
        await waitFor(() => readyLines(logFile) > before, daemon, 30_000);
      },
      async restart() {
        await stopProcess(daemon);
        daemon = await startDaemonProcess(serverCfg, logFile, opts.nodeArgs);
      },
      async stop() {
        await stopProcess(daemon);
        await broker.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Lines of the daemon log saying it is ready: one per start and per reload. */
function readyLines(logFile: string): number {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').split('"msg":"node daemon ready"').length - 1 : 0;
}

async function waitFor(ok: () => boolean, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`daemon exited (${child.exitCode ?? child.signalCode})`);
    if (Date.now() > deadline) throw new Error(`daemon not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `mco server run --config FILE` and resolves once its log says it is ready. */
export async function startDaemonProcess(
  configFile: string,
  logFile: string,
  nodeArgs: string[] = [],
  timeoutMs = 30_000,
): Promise<ChildProcess> {
  const before = readyLines(logFile);
  const child = spawn(process.execPath, [...nodeArgs, join(packageRoot(), 'bin', 'mco.js'), 'server', 'run', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await waitFor(() => readyLines(logFile) > before, child, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr}`, { cause: err });
  }
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}
