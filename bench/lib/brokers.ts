// The benchmark's brokers: one nats-server when the open-file limit allows one connection per node, otherwise a
// full-mesh cluster on loopback with the fleet spread across its members.
import { spawnSync } from 'node:child_process';
import { freePort, LocalNatsServer } from '../../src/devkit/nats-server.js';
import { rssMB } from './processes.js';

/** What matters at fleet scale: room for one connection per node, generous per-connection buffers so a burst of
 * replies to one client is not cut off as a slow consumer, a write deadline that tolerates a busy machine, and a
 * ping interval long enough that a simulator starved of CPU while thousands connect is not dropped as stale. */
export const TUNING = ['max_connections: 1000000', 'max_pending: 512MB', 'write_deadline: "30s"', 'ping_interval: "5m"'].join('\n');

export function hardFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out) || 1024;
}

export interface Brokers {
  urls: string[];
  servers: LocalNatsServer[];
  note?: string;
  rssMB(): number;
  stop(): Promise<void>;
}

export async function startBrokers(nodes: number): Promise<Brokers> {
  const limit = hardFileLimit();
  // In a cluster, clients that reconnect may land on any member: each keeps 40% of its descriptors spare for that.
  const perBroker = Math.floor(limit * 0.6);
  const count = nodes + 2048 <= limit ? 1 : Math.ceil(nodes / perBroker);
  const clusterPorts = count > 1 ? await Promise.all(Array.from({ length: count }, () => freePort())) : [];
  const servers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new LocalNatsServer({
        maxOpenFiles: Math.min(limit, nodes + 4096),
        config: TUNING,
        jetstream: true,
        cluster: count > 1 ? { name: 'bench', port: clusterPorts[i]!, routes: clusterPorts.filter((_, j) => j !== i) } : undefined,
      }).start(),
    ),
  );
  if (count > 1) await new Promise((r) => setTimeout(r, 1500)); // let the routes form
  return {
    urls: servers.map((s) => s.url),
    servers,
    note:
      count > 1
        ? `${count}-broker cluster: the open-file hard limit here is ${limit}, below one connection per node on one broker`
        : undefined,
    rssMB: () => servers.reduce((sum, s) => sum + rssMB(s.pid), 0),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
