// `--only broker-loss`: a fleet spread over a 3-broker site under a steady stream of requests; one broker killed
// (time until every one of its nodes answers again through the others, replies lost and duplicated), then a rolling
// restart of every broker in lame-duck mode (requests lost).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSupercluster } from '../../src/devkit/supercluster.js';
import { RequestStream, type StreamReport } from '../../src/devkit/request-stream.js';
import { generateFleet } from '../../src/server/fleet.js';
import type { BenchRecord } from '../run.js';
import { startSimProcess, stopProcess, type SimProcess } from './processes.js';

/** Every node of the killed broker answers again within this. */
export const RECOVERY_TARGET_MS = 5000;
/** The brokers' lame-duck timings: the spread (plugin.nats.lame_duck_spread, 5 s) must fit in the grace period. */
const LAME_DUCK = 'lame_duck_grace_period: 10s\nlame_duck_duration: 30s';

export interface BrokerLossOptions {
  nodes: number;
  /** Simulated nodes per process at most (each holds one file descriptor per node). */
  perProcess: number;
  scratch: string;
}

const record = (name: string, n: number, ms: number, r: StreamReport, note: string): BenchRecord => ({
  name,
  n,
  wall_ms: ms,
  replies: r.replies,
  expected: r.expectedReplies,
  floor_ms: null,
  ratio: null,
  rss_mb: null,
  note: `${r.requests - r.complete} of ${r.requests} requests incomplete, ${r.expectedReplies - r.replies} replies lost, ${r.duplicates} duplicated; ${note}`,
});

export async function brokerLoss(o: BrokerLossOptions): Promise<{ records: BenchRecord[]; missed: string[] }> {
  const sc = await startSupercluster({ sites: [{ name: 'ams' }], jetstream: false, config: LAME_DUCK });
  const urls = sc.site('ams').urls;
  const config = join(o.scratch, 'broker-loss-sim.cfg');
  writeFileSync(config, 'securityprovider = insecure\nplugin.actionpolicy.allow_unconfigured = 1\nregisterinterval = 0\n');
  // Processes in multiples of 3, each on one broker, so that the brokers carry equal shares.
  const processes = 3 * Math.ceil(o.nodes / o.perProcess / 3);
  const per = Math.ceil(o.nodes / processes);
  const sims: SimProcess[] = [];
  const nodesOf: string[][] = urls.map(() => []);
  const records: BenchRecord[] = [];
  const missed: string[] = [];
  try {
    for (let p = 0, offset = 0; offset < o.nodes; p++, offset += per) {
      const count = Math.min(per, o.nodes - offset);
      const args = ['--nodes', String(count), '--offset', String(offset), '--prefix', 'loss', '--server', urls[p % 3]!, '-c', config];
      sims.push(await startSimProcess(args, count, count + 1000));
      nodesOf[p % 3]!.push(...generateFleet(count, 'loss', offset).nodes.map((n) => n.identity));
    }
    const everyNode = nodesOf.flat();
    // A request to the whole fleet every 2 ms per 10 nodes (2 s at 10,000), so that the client keeps up with the replies.
    const everyMs = Math.max(200, o.nodes / 5);
    const stream = () => new RequestStream({ servers: [urls[0]!], targets: everyNode, everyMs, timeoutMs: 10_000 }).start();

    // One broker killed: the client is on another, so what is timed is the nodes' failover.
    const kill = await stream();
    await until(() => kill.recoveredAfter(0, everyNode) !== undefined, 30_000);
    const killed = sc.site('ams').servers[2]!.server;
    const killedAt = Date.now();
    await killed.kill();
    await until(() => kill.recoveredAfter(killedAt, nodesOf[2]!) !== undefined, 60_000);
    const recoveryMs = kill.recoveredAfter(killedAt, nodesOf[2]!) ?? Number.NaN;
    await new Promise((r) => setTimeout(r, 3000));
    const killReport = await kill.stop();
    records.push(
      record(
        'broker loss: killed broker recovered',
        o.nodes,
        recoveryMs,
        killReport,
        `${nodesOf[2]!.length} nodes on the killed broker; target ${RECOVERY_TARGET_MS} ms`,
      ),
    );
    if (!(recoveryMs < RECOVERY_TARGET_MS)) missed.push(`recovery ${Math.round(recoveryMs)} ms over ${RECOVERY_TARGET_MS} ms`);
    await killed.start();
    await sc.ready(60_000);

    // Rolling restart, every broker in lame-duck mode in turn; the client moves too.
    const rolling = await new RequestStream({
      servers: urls,
      targets: everyNode,
      everyMs: 500,
      timeoutMs: 4000,
      lameDuckSpreadMs: 1000,
    }).start();
    await until(() => rolling.recoveredAfter(0, everyNode) !== undefined, 30_000);
    const started = Date.now();
    for (const s of sc.site('ams').servers) {
      await s.server.lameDuck(120_000);
      await s.server.start();
      await sc.ready(60_000);
    }
    const rollingMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 2000));
    const rollingReport = await rolling.stop();
    records.push(record('broker loss: lame-duck rolling restart', o.nodes, rollingMs, rollingReport, 'time: the whole restart'));
    if (rollingReport.replies < rollingReport.expectedReplies) missed.push('requests lost in the lame-duck rolling restart');
  } finally {
    await Promise.all(sims.map((s) => stopProcess(s.child)));
    await sc.stop();
  }
  return { records, missed };
}

async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
