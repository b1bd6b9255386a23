// A private DNS server (dnsmasq) on a free loopback port that answers SRV records, for the tests of `use_srv`.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { existsSync } from 'node:fs';
import { freePort } from './nats-server.js';

export const DNSMASQ_BIN = process.env.DNSMASQ_BIN ?? (existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq');

/** One SRV record: `name` is the full owner name (`_troupe-server._tcp.example.test`). */
export interface SrvHost {
  name: string;
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface DnsServerOptions {
  records: SrvHost[];
  /** Domains this server answers alone: names in them without records get NXDOMAIN, never a referral upstream. */
  domains?: string[];
}

/** A dnsmasq child process answering `records`; setRecords() restarts it on the same port with others. */
export class LocalDnsServer {
  private child?: ChildProcess;
  private stderr = '';
  port = 0;

  constructor(private opts: DnsServerOptions) {}

  /** The address for srv_nameserver. */
  get nameserver(): string {
    return `127.0.0.1:${this.port}`;
  }

  private args(): string[] {
    const args = [
      '--no-daemon',
      `--port=${this.port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--pid-file=',
      // Answers are never cached by dnsmasq itself, so changed records show at once.
      '--cache-size=0',
      ...(this.opts.domains ?? []).map((d) => `--local=/${d}/`),
      ...this.opts.records.map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
    ];
    if (process.getuid?.() === 0) args.push('--user=root');
    return args;
  }

  async start(): Promise<this> {
    // A free TCP port is usually free for UDP too; when dnsmasq cannot bind it, try another.
    for (let tries = 0; ; tries++) {
      const keepPort = this.port !== 0;
      this.port ||= await freePort();
      try {
        await this.spawnAndWait();
        return this;
      } catch (err) {
        if (keepPort || tries >= 4 || !/listening socket|Address in use/i.test((err as Error).message)) throw err;
        this.port = 0;
      }
    }
  }

  private async spawnAndWait(): Promise<void> {
    this.stderr = '';
    const child = spawn(DNSMASQ_BIN, this.args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(new Error(`cannot run ${DNSMASQ_BIN}: ${err.message} (scripts/ensure-deps.mjs installs dnsmasq)`)),
      );
      child.once('exit', (code) => reject(new Error(`dnsmasq exited (${code}): ${this.stderr.trim()}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([this.answering(), exited]);
  }

  /** Resolves once the server answers a query (NXDOMAIN counts), within 10 s. */
  private async answering(): Promise<void> {
    const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([this.nameserver]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await resolver.resolveSrv('_probe._tcp.invalid');
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ETIMEOUT' && code !== 'ECONNREFUSED') return;
      }
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer on ${this.nameserver} within 10 s: ${this.stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Serves `records` from now on (dnsmasq reads them at start only, so it restarts on the same port). */
  async setRecords(records: SrvHost[]): Promise<void> {
    this.opts = { ...this.opts, records };
    await this.kill();
    await this.start();
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

export async function startDnsServer(opts: DnsServerOptions): Promise<LocalDnsServer> {
  return new LocalDnsServer(opts).start();
}
