// Reliability at scale, measured with a fleet connected: the broker restarted under it, and a burst of requests.
import { emptyFilter } from '../../src/filter/index.js';
import { InsecureProvider } from '../../src/security/index.js';
import { NatsConnector } from '../../src/transport/nats.js';
import { RpcClient } from '../../src/client/rpc-client.js';
import { generateFleet } from '../../src/server/fleet.js';
import type { BenchRecord } from '../run.js';
import type { Brokers } from './brokers.js';
import { runMco } from './processes.js';

async function pingCount(configFile: string, n: number): Promise<number> {
  const r = await runMco(['ping', '-c', configFile, '--json', '--expect', String(n), '-t', '5']);
  if (r.code !== 0 && r.code !== 4) return 0;
  try {
    return (JSON.parse(r.stdout) as { stats: { count: number } }).stats.count;
  } catch {
    return 0;
  }
}

/** Kills every broker (SIGKILL), starts them again on the same ports, and times until every node answers a ping. */
async function brokerRestart(n: number, brokers: Brokers, configFile: string): Promise<BenchRecord> {
  await Promise.all(brokers.servers.map((s) => s.kill()));
  const down = performance.now();
  await Promise.all(brokers.servers.map((s) => s.start()));
  const up = performance.now();
  let answered = 0;
  let attempts = 0;
  while (answered < n && performance.now() - up < 120_000) {
    attempts++;
    answered = await pingCount(configFile, n);
  }
  const ms = performance.now() - up;
  return {
    name: 'broker restart: all nodes answer again',
    n,
    wall_ms: ms,
    replies: answered,
    expected: n,
    floor_ms: null,
    ratio: null,
    rss_mb: null,
    note: `broker down ${Math.round(up - down)} ms; ${attempts} pings until all answered`,
  };
}

/** 1,000 requests sent back to back, each directly to 10 nodes, while replies stream in: every reply must arrive. */
async function burst(n: number, brokers: Brokers, configFile: string): Promise<BenchRecord[]> {
  const connector = new NatsConnector({ servers: [brokers.urls[0]!], name: 'bench burst' });
  await connector.connect();
  const client = new RpcClient(connector, new InsecureProvider(), {
    sender: `bench.burst${process.pid}`,
    ttl: 60,
    maxMessageSize: 1 << 20,
    directAddressingThreshold: 10,
  });
  const identities = generateFleet(n, 'bench').nodes.map((node) => node.identity);
  const requests = 1000;
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: requests }, (_, i) =>
      client.call({
        agent: 'rpcutil',
        action: 'ping',
        data: {},
        filter: emptyFilter(),
        collective: 'mcollective',
        targets: Array.from({ length: 10 }, (_, k) => identities[(i * 10 + k) % identities.length]!),
        direct: true,
        timeoutMs: 60_000,
      }),
    ),
  );
  const ms = performance.now() - started;
  await connector.close();
  const replies = results.reduce((sum, r) => sum + r.ok().length, 0);
  const after = await pingCount(configFile, n);
  return [
    {
      name: 'burst: 1,000 requests × 10 nodes',
      n,
      wall_ms: ms,
      replies,
      expected: requests * 10,
      floor_ms: null,
      ratio: null,
      rss_mb: null,
      note: `${Math.round((replies / ms) * 1000)} replies/s`,
    },
    { name: 'after the burst: mco ping', n, wall_ms: 0, replies: after, expected: n, floor_ms: null, ratio: null, rss_mb: null },
  ];
}

export async function reliability(n: number, brokers: Brokers, configFile: string): Promise<BenchRecord[]> {
  const restart = await brokerRestart(n, brokers, configFile);
  return [restart, ...(await burst(n, brokers, configFile))];
}
