// A private nats-server on a free loopback port, for the demo, the benchmark and the tests.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? 'nats-server';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface NatsServerOptions {
  port?: number;
  /** Extra lines for the server's config file (TLS, limits, cluster…). */
  config?: string;
  jetstream?: boolean;
  cluster?: { name: string; port: number; routes: number[] };
  /** Raise the open-file limit for the server (needs root beyond the hard limit); large fleets need one fd per node. */
  maxOpenFiles?: number;
  /**
   * A complete configuration file to run instead of one made from the options above (`mco broker config`'s);
   * it must listen on 127.0.0.1:`port`.
   */
  configFile?: string;
  /**
   * Run the server in a process group of its own with its log appended to this file, so that it can outlive this
   * process (see release()); `log` and waitForLog() then see nothing.
   */
  detachedLogFile?: string;
}

/** A nats-server child process; stop() kills it and removes its files. */
export class LocalNatsServer {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'troupe-nats-'));
  private output = '';
  /** Characters of the log dropped from the front of `output`, so positions stay valid. */
  private dropped = 0;
  private readonly logWaiters = new Set<() => void>();
  port = 0;

  constructor(private readonly opts: NatsServerOptions = {}) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= this.opts.port ?? (await freePort());
    const lines = [`listen: 127.0.0.1:${this.port}`, 'max_payload: 8MB', this.opts.config ?? ''];
    if (this.opts.jetstream) lines.push(`jetstream { store_dir: "${join(this.dir, 'js')}" }`);
    if (this.opts.cluster) {
      const c = this.opts.cluster;
      lines.push(
        `server_name: n${c.port}`,
        `cluster { name: ${c.name}, listen: 127.0.0.1:${c.port}, routes: [${c.routes.map((r) => `nats-route://127.0.0.1:${r}`).join(', ')}] }`,
      );
    }
    const conf = this.opts.configFile ?? join(this.dir, 'nats.conf');
    if (!this.opts.configFile) writeFileSync(conf, lines.join('\n') + '\n');
    const logFd = this.opts.detachedLogFile ? openSync(this.opts.detachedLogFile, 'a') : undefined;
    const spawnOpts: SpawnOptions = { stdio: ['ignore', 'ignore', logFd ?? 'pipe'], detached: logFd !== undefined };
    const child = this.opts.maxOpenFiles
      ? spawn('sh', ['-c', `ulimit -n ${this.opts.maxOpenFiles} 2>/dev/null; exec "$0" -c "$1"`, NATS_SERVER_BIN, conf], spawnOpts)
      : spawn(NATS_SERVER_BIN, ['-c', conf], spawnOpts);
    if (logFd !== undefined) closeSync(logFd);
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      this.output += d.toString();
      if (this.output.length > 65536) {
        this.dropped += this.output.length - 65536;
        this.output = this.output.slice(-65536);
      }
      for (const wake of this.logWaiters) wake();
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${stderr.trim()}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(this.port, 10_000), exited]);
    return this;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The server's log (its standard error), the last 64 KiB. */
  get log(): string {
    return this.output;
  }

  /** How much the server has logged so far: a position for waitForLog. */
  get logPosition(): number {
    return this.dropped + this.output.length;
  }

  /**
   * Resolves with the first line matching `pattern` logged after position `from` (logPosition taken before
   * sending a signal, say), such as nats-server's "Reloaded server configuration".
   */
  waitForLog(pattern: RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.output
          .slice(Math.max(0, from - this.dropped))
          .split('\n')
          .find((l) => pattern.test(l));
        if (line === undefined) return false;
        done();
        resolve(line);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`nats-server logged nothing matching ${pattern} within ${timeoutMs} ms; its log ends: ${this.output.slice(-1000)}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.logWaiters.delete(wake);
      };
      const wake = () => void check();
      this.logWaiters.add(wake);
      check();
    });
  }

  /**
   * Leaves a server started with `detachedLogFile` running when this process exits: it stops being a child this
   * process waits for. Its files stay; whoever takes it over stops it by its pid.
   */
  release(): void {
    this.child?.unref();
    // Its scratch folder holds what the options generate; a server given a config file has nothing in it.
    if (this.opts.configFile) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills the server but keeps its port and files, so restart() brings the same broker back. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }

  /**
   * Lame-duck mode as an operator starts it (`nats-server --signal ldm=PID`): the server stops taking connections,
   * tells its clients it is going (INFO `ldm`), closes theirs over `lame_duck_duration` after
   * `lame_duck_grace_period`, then exits. Resolves when it has; restart() or start() brings it back.
   */
  async lameDuck(timeoutMs = 60_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      const signal = spawn(NATS_SERVER_BIN, ['--signal', `ldm=${child.pid}`], { stdio: 'ignore' });
      signal.once('error', reject);
      signal.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nats-server --signal ldm exited ${code}`))));
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`lame-duck server still up after ${timeoutMs} ms`)), timeoutMs)),
    );
    try {
      await Promise.race([gone, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<LocalNatsServer> {
  return new LocalNatsServer(opts).start();
}
