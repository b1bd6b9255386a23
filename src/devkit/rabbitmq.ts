// RabbitMQ for the tests and the benchmark: a private node on its own ports, Erlang cookie and data directory, that
// can be stopped and started again, with throwaway vhosts on it; or (the benchmark only) the machine's broker.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import { freePort } from './nats-server.js';

const DEBIAN_SERVER_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** The CLI itself, not Debian's wrapper, which runs it as the rabbitmq user with that user's home (and cookie). */
const DEBIAN_CTL_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmqctl';

export const SYSTEM_RABBITMQ = { host: '127.0.0.1', port: 5672, user: 'guest', password: 'guest' } as const;

export const RABBITMQ_ERROR_CODES = {
  not_installed: 'RabbitMQ is not installed (apt-get install rabbitmq-server)',
  start_failed: 'a private RabbitMQ node did not start',
  command_failed: 'a rabbitmqctl command failed',
} as const satisfies ErrorCodeTable;
export type RabbitMQErrorCode = keyof typeof RABBITMQ_ERROR_CODES;

export class RabbitMQError extends TroupeError {
  override readonly name = 'RabbitMQError';
  declare readonly code: RabbitMQErrorCode;
  constructor(code: RabbitMQErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Runs rabbitmqctl (as root, Debian's wrapper switches to the rabbitmq user) against the machine's node, or with
 * `node` and `home` against a private one: `home` holds that node's .erlang.cookie, and the CLI runs directly.
 */
export function rabbitmqctl(args: string[], opts: { node?: string; home?: string; timeoutMs?: number } = {}): Promise<string> {
  const full = opts.node ? ['-n', opts.node, ...args] : args;
  const ctl = opts.home && existsSync(DEBIAN_CTL_SCRIPT) ? DEBIAN_CTL_SCRIPT : 'rabbitmqctl';
  const env = opts.home ? { ...cliEnv(), HOME: opts.home } : cliEnv();
  return new Promise((resolve, reject) => {
    execFile(ctl, full, { timeout: opts.timeoutMs ?? 60_000, env, cwd: opts.home }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new RabbitMQError(
            missing ? 'not_installed' : 'command_failed',
            missing
              ? 'rabbitmqctl is not installed (apt-get install rabbitmq-server)'
              : `rabbitmqctl ${full.join(' ')} failed: ${(stderr || err.message).trim().split('\n').slice(0, 3).join(' ')}`,
          ),
        );
      } else {
        resolve(stdout);
      }
    });
  });
}

/** rabbitmqctl must not inherit a private node's settings from the environment. */
function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('RABBITMQ_')) delete env[key];
  return env;
}

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Makes sure the machine's RabbitMQ answers on 127.0.0.1:5672, starting it when it is installed but not running. */
export async function ensureSystemRabbitMQ(timeoutMs = 90_000): Promise<void> {
  if (await portAnswers(SYSTEM_RABBITMQ.port)) return;
  await new Promise<void>((resolve, reject) => {
    execFile('rabbitmq-server', ['-detached'], { env: cliEnv() }, (err) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        reject(new RabbitMQError('not_installed', 'rabbitmq-server is not installed (apt-get install rabbitmq-server)'));
      else if (err) reject(new RabbitMQError('start_failed', `rabbitmq-server -detached failed: ${err.message}`));
      else resolve();
    });
  });
  const deadline = Date.now() + timeoutMs;
  // await_startup fails at once until the node has registered with epmd, so keep asking.
  while (Date.now() < deadline) {
    try {
      await rabbitmqctl(['await_startup', '--timeout', '30'], { timeoutMs: 40_000 });
      if (await portAnswers(SYSTEM_RABBITMQ.port)) return;
    } catch {
      await sleep(1000);
    }
  }
  throw new RabbitMQError('start_failed', `RabbitMQ did not start on 127.0.0.1:${SYSTEM_RABBITMQ.port} within ${timeoutMs} ms`);
}

export interface Vhost {
  readonly name: string;
  /** amqp:// URL with guest credentials and this vhost. */
  readonly url: string;
  /** rabbitmqctl against the node holding this vhost (`-p` is the caller's to add). */
  ctl(args: string[]): Promise<string>;
  remove(): Promise<void>;
}

/** A fresh vhost with full permissions for guest, on a private node (or, without one, the machine's broker). */
export async function createVhost(opts: { prefix?: string; node?: LocalRabbitMQ } = {}): Promise<Vhost> {
  const name = `${opts.prefix ?? 'troupe-test'}-${randomBytes(4).toString('hex')}`;
  const node = opts.node;
  const ctl = (args: string[]) => (node ? node.ctl(args) : rabbitmqctl(args));
  await ctl(['add_vhost', name]);
  await ctl(['set_permissions', '-p', name, SYSTEM_RABBITMQ.user, '.*', '.*', '.*']);
  const port = node?.port ?? SYSTEM_RABBITMQ.port;
  return {
    name,
    url: `amqp://${SYSTEM_RABBITMQ.user}:${SYSTEM_RABBITMQ.password}@127.0.0.1:${port}/${encodeURIComponent(name)}`,
    ctl,
    remove: async () => {
      await ctl(['delete_vhost', name]).catch(() => undefined);
    },
  };
}

/** Sockets the machine's broker accepts (its open-file limit decides: about 830 under the default 1024). */
export async function socketLimit(node?: string): Promise<number> {
  const status = JSON.parse(await rabbitmqctl(['status', '--formatter', 'json'], { node })) as {
    file_descriptors?: { sockets_limit?: number };
  };
  return status.file_descriptors?.sockets_limit ?? 0;
}

export interface LocalRabbitMQState {
  nodeName: string;
  dir: string;
  port: number;
  distPort: number;
}

export interface LocalRabbitMQOptions {
  /** Open-file limit for the node: one per connection plus a few hundred for itself. */
  maxOpenFiles?: number;
  /** Also listen for amqps:// on `tlsPort`, requiring a client certificate signed by `ca`. Paths to PEM files. */
  tls?: { ca: string; cert: string; key: string };
}

/**
 * A private RabbitMQ node (`troupe-<random>@localhost`) with its own AMQP and distribution ports, Erlang cookie, data
 * and logs in a temp dir; the management plugin and every other plugin off. It shares nothing with the machine's
 * RabbitMQ but epmd, where it registers its own name. stop() then start() brings the same node back on the same
 * ports, with its durable exchanges; destroy() stops it and removes its files.
 */
export class LocalRabbitMQ {
  readonly nodeName: string;
  private readonly dir: string;
  /** HOME of the node and of the CLI driving it: its .erlang.cookie, not the machine's. */
  private readonly home: string;
  port = 0;
  distPort = 0;
  tlsPort = 0;
  private running = false;

  constructor(
    private readonly opts: LocalRabbitMQOptions = {},
    state?: LocalRabbitMQState,
  ) {
    this.nodeName = state?.nodeName ?? `troupe-${randomBytes(4).toString('hex')}@localhost`;
    this.dir = state?.dir ?? mkdtempSync(join(tmpdir(), 'troupe-rabbitmq-'));
    this.home = join(this.dir, 'home');
    if (state) {
      this.port = state.port;
      this.distPort = state.distPort;
      this.running = true;
    }
  }

  /** What another process needs to use and stop this running node (see attach). */
  get state(): LocalRabbitMQState {
    return { nodeName: this.nodeName, dir: this.dir, port: this.port, distPort: this.distPort };
  }

  /** A node another process started (its `state`), to use and stop from this one. */
  static attach(state: LocalRabbitMQState): LocalRabbitMQ {
    return new LocalRabbitMQ({}, state);
  }

  get url(): string {
    return `amqp://${SYSTEM_RABBITMQ.user}:${SYSTEM_RABBITMQ.password}@127.0.0.1:${this.port}`;
  }

  get tlsUrl(): string {
    return `amqps://${SYSTEM_RABBITMQ.user}:${SYSTEM_RABBITMQ.password}@localhost:${this.tlsPort}`;
  }

  private get pidFile(): string {
    return join(this.dir, 'rabbitmq.pid');
  }

  /** rabbitmqctl against this node, with its cookie. */
  ctl(args: string[], timeoutMs?: number): Promise<string> {
    return rabbitmqctl(args, { node: this.nodeName, home: this.home, timeoutMs });
  }

  /** A fresh cookie of the node's own, readable by its owner only (Erlang refuses anything looser). */
  private writeCookie(owner?: { uid: number; gid: number }): void {
    mkdirSync(this.home, { recursive: true });
    const cookie = join(this.home, '.erlang.cookie');
    if (existsSync(cookie)) return;
    writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
    if (owner) {
      chownSync(this.home, owner.uid, owner.gid);
      chownSync(cookie, owner.uid, owner.gid);
    }
    chmodSync(cookie, 0o400);
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.distPort ||= await freePort();
    const owner = rabbitmqOwner();
    writeFileSync(join(this.dir, 'rabbitmq.conf'), await this.configText(owner));
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '');
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    if (owner)
      for (const f of ['', 'rabbitmq.conf', 'rabbitmq-env.conf', 'enabled_plugins']) chownSync(join(this.dir, f), owner.uid, owner.gid);
    this.writeCookie(owner);
    const env = {
      ...cliEnv(),
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
      RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: this.pidFile,
      HOME: this.home,
    };
    // Debian's wrapper switches root to the rabbitmq user, and the switch resets the open-file limit: raise it after.
    // Debian's /usr/sbin wrapper would also overwrite the machine broker's startup log: go to the real script.
    const server = owner && existsSync(DEBIAN_SERVER_SCRIPT) ? DEBIAN_SERVER_SCRIPT : binary('rabbitmq-server');
    // su sets HOME to the rabbitmq user's (where the machine's cookie is): set it back to the node's own.
    const start = `${this.opts.maxOpenFiles ? `ulimit -n ${this.opts.maxOpenFiles} 2>/dev/null; ` : ''}HOME='${this.home}' exec ${server} -detached`;
    const [cmd, args] = owner ? ['su', ['rabbitmq', '-s', '/bin/sh', '-c', start]] : ['sh', ['-c', start]];
    await new Promise<void>((resolve, reject) => {
      execFile(cmd, args, { env, cwd: this.dir }, (err, _out, stderr) =>
        err
          ? reject(new RabbitMQError('start_failed', `cannot start RabbitMQ node ${this.nodeName}: ${stderr || err.message}`))
          : resolve(),
      );
    });
    try {
      await this.ctl(['wait', this.pidFile, '--timeout', '90'], 100_000);
    } catch (err) {
      throw new RabbitMQError(
        'start_failed',
        `RabbitMQ node ${this.nodeName} did not start on port ${this.port}: ${(err as Error).message}; see ${join(this.dir, 'log')}`,
      );
    }
    this.running = true;
    return this;
  }

  /** The plain listener comes from RABBITMQ_NODE_PORT; the file only adds TLS. */
  private async configText(owner?: { uid: number; gid: number }): Promise<string> {
    const lines = ['# private test node'];
    const tls = this.opts.tls;
    if (tls) {
      this.tlsPort ||= await freePort();
      // The node reads the PEM files as the rabbitmq user: give it copies of its own.
      const own = (name: string, from: string) => {
        const to = join(this.dir, name);
        copyFileSync(from, to);
        if (owner) chownSync(to, owner.uid, owner.gid);
        return to;
      };
      lines.push(
        `listeners.ssl.1 = 127.0.0.1:${this.tlsPort}`,
        `ssl_options.cacertfile = ${own('tls-ca.pem', tls.ca)}`,
        `ssl_options.certfile = ${own('tls-cert.pem', tls.cert)}`,
        `ssl_options.keyfile = ${own('tls-key.pem', tls.key)}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
      );
    }
    return lines.join('\n') + '\n';
  }

  get pid(): number | undefined {
    try {
      return Number(readFileSync(this.pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops the node (connections are closed by the broker) but keeps its ports and data for start(). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const pid = this.pid;
    try {
      await this.ctl(['stop'], 60_000);
    } catch {
      if (pid) killQuietly(pid);
    }
    if (pid) await waitForExit(pid, 30_000);
  }

  /** Stops the node if needed and removes its files. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startRabbitMQ(opts: LocalRabbitMQOptions = {}): Promise<LocalRabbitMQ> {
  return new LocalRabbitMQ(opts).start();
}

/** When root, the node runs as the rabbitmq user (as Debian's wrapper would) and must own its files. */
function rabbitmqOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'rabbitmq']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'rabbitmq']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function binary(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name}`])
      .toString()
      .trim()
      .split('\n')[0]!;
  } catch {
    throw new RabbitMQError('not_installed', `${name} is not installed (apt-get install rabbitmq-server)`);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  killQuietly(pid);
}
