// Fan-out over RabbitMQ: `mco sim` with `connector = amqp` in a vhost of its own, then `mco ping --expect N`.
// The machine's broker serves while its socket limit allows (about 830 under Debian's default open-file limit of
// 1024); larger fleets get a private node started with the open-file limit raised, on ports of its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVhost, ensureSystemRabbitMQ, socketLimit, startRabbitMQ, type LocalRabbitMQ, type Vhost } from '../src/devkit/rabbitmq.js';
import { runMco, startSimProcess, stopProcess, type SimProcess } from './lib/processes.js';

export interface FanoutResult {
  n: number;
  /** Replies to the measured ping (the fewest of the runs). */
  replies: number;
  /** Median over the runs of the ping's request time: publish to the N-th reply, or to the timeout. */
  wallMs: number;
}

/** Nodes per `mco sim` process: each AMQP connection costs the simulator more than a NATS one. */
const NODES_PER_SIM = 1250;
const RUNS = 3;
/** Connections the broker must hold beyond the fleet: the client, rabbitmqctl, some slack. */
const SOCKET_HEADROOM = 50;

export async function amqpFanout(n: number): Promise<FanoutResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'troupe-amqp-bench-'));
  let node: LocalRabbitMQ | undefined;
  let vhost: Vhost | undefined;
  const sims: SimProcess[] = [];
  try {
    await ensureSystemRabbitMQ();
    if ((await socketLimit()) < n + SOCKET_HEADROOM) {
      node = await startRabbitMQ({ maxOpenFiles: n + 4096 });
      process.stderr.write(`amqp-fanout: ${n} nodes exceed the machine broker's socket limit; using private node ${node.nodeName}\n`);
    }
    vhost = await createVhost({ prefix: 'troupe-bench', node });
    const config = join(scratch, 'amqp.cfg');
    // --expect ends each ping at the N-th reply; the longer quiet window only keeps a scheduling stall on a busy
    // machine from ending it early and counting as lost replies.
    writeFileSync(
      config,
      `connector = amqp\nsecurityprovider = insecure\nmiddleware_hosts = ${vhost.url}\ndiscovery_timeout = 10\ndiscovery_quiet_window = 2\n`,
    );

    const jobs: Promise<SimProcess>[] = [];
    for (let offset = 0; offset < n; offset += NODES_PER_SIM) {
      const count = Math.min(NODES_PER_SIM, n - offset);
      jobs.push(
        startSimProcess(
          ['--nodes', String(count), '--offset', String(offset), '--prefix', 'bench', '--config', config],
          count,
          count + 1024,
        ),
      );
    }
    const started = await Promise.allSettled(jobs);
    for (const s of started) if (s.status === 'fulfilled') sims.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const timeoutS = Math.max(10, Math.ceil(n / 250));
    const ping = async () => {
      const r = await runMco(['ping', '--expect', String(n), '--timeout', String(timeoutS), '--json', '-c', config]);
      if (r.code !== 0 && !r.stdout.trim()) throw new Error(`mco ping over RabbitMQ failed (${r.code}): ${r.stderr.slice(0, 500)}`);
      const stats = (JSON.parse(r.stdout) as { stats: { count: number; wall_ms: number } }).stats;
      return { replies: stats.count, wallMs: stats.wall_ms };
    };
    await ping(); // warms the simulators' code paths and the broker's routing
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await ping());
    const walls = runs.map((r) => r.wallMs).sort((a, b) => a - b);
    return { n, replies: Math.min(...runs.map((r) => r.replies)), wallMs: walls[Math.floor((walls.length - 1) / 2)]! };
  } finally {
    await Promise.all(sims.map((s) => stopProcess(s.child)));
    await vhost?.remove();
    await node?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}
