// A real `mco web` process on plain HTTP loopback, for the web console's browser tests and benchmark: its config,
// users (made by `mco web user add`, as an operator would) and roles in a temp dir that stop() removes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../protocol/index.js';
import { configText } from './pki.js';

export interface WebUserSpec {
  name: string;
  password: string;
  roles: string[];
}

export interface WebRoleSpec {
  actions: string[];
  scope?: string;
  allow_fleet?: boolean;
  /** Sees every user's jobs and plan runs. */
  see_all_jobs?: boolean;
}

export interface WebConsoleOptions {
  /** Broker URL (NATS with JetStream: the node list reads the registry). */
  broker: string;
  users: WebUserSpec[];
  roles: Record<string, WebRoleSpec>;
  /** More config keys (`discovery_timeout`, `securityprovider`…). */
  config?: Record<string, string | number>;
  timeoutMs?: number;
}

export interface WebConsole {
  /** http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  dir: string;
  /** What the process wrote on standard error (the last 20,000 characters). */
  stderr(): string;
  stop(): Promise<void>;
}

const MCO = () => join(packageRoot(), 'bin', 'mco.js');

export async function startWebConsole(opts: WebConsoleOptions): Promise<WebConsole> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-web-'));
  try {
    const config = join(dir, 'client.cfg');
    writeFileSync(
      config,
      configText({
        middleware_hosts: opts.broker,
        securityprovider: 'insecure',
        discovery_timeout: 2,
        'web.listen': '127.0.0.1',
        'web.port': 0,
        'web.insecure_http': 'true',
        'web.users_file': join(dir, 'web-users.yaml'),
        'web.roles_file': join(dir, 'web-roles.json'),
        ...opts.config,
      }),
    );
    writeFileSync(join(dir, 'web-roles.json'), JSON.stringify({ roles: opts.roles }, null, 2));
    for (const u of opts.users) {
      // Run in the directory: with no usable --config the users file is web-users.yaml there, the file the config names.
      const args = [MCO(), 'web', 'user', 'add', u.name, '--password-stdin', '-c', config, ...u.roles.flatMap((r) => ['--role', r])];
      const r = spawnSync(process.execPath, args, { cwd: dir, input: `${u.password}\n`, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`mco web user add ${u.name} failed (${r.status}): ${r.stderr}`);
    }
    return await launch(dir, config, opts.timeoutMs ?? 30_000);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function launch(dir: string, config: string, timeoutMs: number): Promise<WebConsole> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MCO(), 'web', '-c', config, '--insecure-http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(kill);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mco web did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!.replace(/\/$/, ''), child, dir, stderr: () => err, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mco web exited (${code}) before it listened: ${err}`));
    });
  });
}
