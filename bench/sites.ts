// `--only sites`: the fan-out over three sites of three brokers each, joined by gateways (a supercluster on loopback),
// with the client at the first site, against the bare NATS floor answered by the same connections.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/protocol/index.js';
import { generateFleet } from '../src/server/fleet.js';
import { monitorJson, startSupercluster, type LocalSupercluster, type SiteServer } from '../src/devkit/supercluster.js';
import type { BenchRecord } from './run.js';
import { hardFileLimit, TUNING } from './lib/brokers.js';
import { liveSimCount, rssMB, runMco, runNode, stopAllSims, type McoRun, type SimProcess } from './lib/processes.js';

export const SITE_NAMES = ['ams', 'lon', 'nyc'] as const;
const BROKERS_PER_SITE = 3;
const COLLECTIVE = 'mcollective';
const FLOOR_CLIENT = join(packageRoot(), 'dist', 'bench', 'floor-client.js');

interface Job<T> {
  run: () => Promise<McoRun>;
  parse: (stdout: string) => T;
}

/** What the fan-out section of run.ts already has: its fleet start, its interleaved median runs, its table. */
export interface FanoutKit {
  startFleet(urls: string[], n: number, perProcess: number, simConfig: string): Promise<{ sims: SimProcess[]; setupMs: number }>;
  interleavedRuns<T extends { replies: number; ms: number }>(jobs: Array<Job<T>>): Promise<Array<T & { wall: number; rss: number }>>;
  record(r: BenchRecord): void;
  /** Most nodes in one simulator process. */
  perProcess: number;
  scratch: string;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const round = (x: number) => Math.round(x * 10) / 10;

/** Simulator processes: a multiple of the broker count, each at most `perProcess` nodes, so every broker gets as many. */
export function sitesLayout(n: number, brokers: number, perProcess: number): { processes: number; perProcess: number } {
  const rounds = Math.max(1, Math.ceil(n / (brokers * perProcess)));
  const per = Math.ceil(n / (brokers * rounds));
  return { processes: Math.ceil(n / per), perProcess: per };
}

async function within<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  work.catch(() => undefined); // it may fail after the deadline, while everything is being stopped
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The APP account's gateway mode as seen from `server` towards each other site: Optimistic, Transitioning or Interest-only. */
async function gatewayModes(server: SiteServer): Promise<string> {
  type Account = { name: string; interest_mode: string };
  const gw = await monitorJson<{ outbound_gateways?: Record<string, { accounts?: Account[] }> }>(server, '/gatewayz?accs=1');
  return Object.entries(gw.outbound_gateways ?? {})
    .map(([site, g]) => `${site} ${g.accounts?.find((a) => a.name === 'APP')?.interest_mode ?? 'Optimistic'}`)
    .join(', ');
}

async function connectionsPerBroker(sc: LocalSupercluster): Promise<number[]> {
  return Promise.all(sc.servers.map(async (s) => (await monitorJson<{ total: number }>(s, '/connz?limit=1')).total));
}

function parsePing(siteOf: Map<string, string>) {
  return (out: string) => {
    const j = JSON.parse(out) as { replies: Array<{ sender: string; time_ms: number }>; stats: { count: number; last_reply_ms: number } };
    const bySite = new Map<string, { replies: number; lastMs: number }>();
    for (const r of j.replies) {
      const site = siteOf.get(r.sender) ?? '?';
      const s = bySite.get(site) ?? { replies: 0, lastMs: 0 };
      bySite.set(site, { replies: s.replies + 1, lastMs: Math.max(s.lastMs, r.time_ms) });
    }
    return { replies: j.stats.count, ms: j.stats.last_reply_ms, bySite };
  };
}

async function sitesSize(n: number, kit: FanoutKit): Promise<void> {
  const brokers = SITE_NAMES.length * BROKERS_PER_SITE;
  const layout = sitesLayout(n, brokers, kit.perProcess);
  const perBroker = Math.ceil(n / brokers);
  const limit = hardFileLimit();
  if (perBroker + 4096 > limit)
    throw new Error(`${n} nodes over ${brokers} brokers need ${perBroker} connections per broker; the open-file hard limit is ${limit}`);
  const sc = await startSupercluster({
    sites: SITE_NAMES.map((name) => ({ name, brokers: BROKERS_PER_SITE })),
    config: TUNING,
    // Nothing here needs JetStream: the fleet does not register (below), and the ping is told how many to expect.
    jetstream: false,
    maxOpenFiles: Math.min(limit, perBroker + 4096),
  });
  try {
    const client = sc.site(SITE_NAMES[0]);
    const url = client.urls[0]!;
    const timeoutS = Math.max(30, Math.ceil(n / 1000));
    const configFile = join(kit.scratch, 'sites-client.cfg');
    // A long quiet window, so that a pause between the sites' replies does not end the ping early: it adds to the
    // process wall time, not to the time of the last reply.
    writeFileSync(
      configFile,
      `middleware_hosts = ${url}\nsecurityprovider = insecure\ndiscovery_timeout = ${timeoutS}\ndiscovery_quiet_window = 3\n`,
    );
    // Unsigned like the single-site fan-out, but not registering: registration is JetStream traffic across the
    // gateways that the single-site fan-out has finished before it measures, and a load of its own on a shared machine.
    const simConfig = join(kit.scratch, 'sites-sim.cfg');
    writeFileSync(simConfig, 'securityprovider = insecure\nregisterinterval = 0\n');
    // Process i serves the broker i mod 9: site by site, broker by broker, so every site gets a third of the fleet.
    const urls = [...sc.sites.values()].flatMap((s) => s.urls);
    const siteOf = new Map<string, string>();
    for (const [k, node] of generateFleet(n, 'bench').nodes.entries())
      siteOf.set(node.identity, SITE_NAMES[Math.floor((Math.floor(k / layout.perProcess) % brokers) / BROKERS_PER_SITE)]!);

    const setupLimitMs = 120_000 + n * 10;
    const fleet = await within(
      kit.startFleet(urls, n, layout.perProcess, simConfig),
      setupLimitMs,
      () =>
        `the fleet of ${n} nodes did not come up within ${setupLimitMs / 1000} s (${liveSimCount()} of ${layout.processes} simulator processes still running; load ${load()})`,
    );
    const conns = await connectionsPerBroker(sc);
    const simRss = fleet.sims.reduce((sum, s) => sum + rssMB(s.child.pid), 0);
    kit.record({
      name: 'sites: connection setup',
      n,
      wall_ms: fleet.setupMs,
      replies: n,
      expected: n,
      floor_ms: null,
      ratio: null,
      rss_mb: simRss,
      note: `${fleet.sims.length} sim processes; connections per broker ${Math.min(...conns)}–${Math.max(...conns)}; load ${load()}`,
    });

    // Warm up every process's code and the gateways: the first requests after start find the remote sites' interest
    // not yet known (optimistic mode) and the client's reply subjects new to them.
    await runMco(['ping', '-c', configFile, '--json', '--expect', String(n)]);
    await runMco(['ping', '-c', configFile, '--json', '--expect', String(n)]);
    await runNode(FLOOR_CLIENT, [url, COLLECTIVE, String(n), String(timeoutS * 1000)]);
    const modes = await gatewayModes(client.servers[0]!);

    const loadBefore = load();
    const [floor, ping] = await kit.interleavedRuns<{
      replies: number;
      ms: number;
      bySite?: Map<string, { replies: number; lastMs: number }>;
    }>([
      {
        run: () => runNode(FLOOR_CLIENT, [url, COLLECTIVE, String(n), String(timeoutS * 1000)]),
        parse: (out) => {
          const j = JSON.parse(out) as { replies: number; last_reply_ms: number | null };
          return { replies: j.replies, ms: j.last_reply_ms ?? Number.NaN };
        },
      },
      { run: () => runMco(['ping', '-c', configFile, '--json', '--expect', String(n)]), parse: parsePing(siteOf) },
    ]);
    const loads = `load ${loadBefore} → ${load()}`;
    kit.record({
      name: 'sites floor: bare nats.js process',
      n,
      wall_ms: floor!.ms,
      replies: floor!.replies,
      expected: n,
      floor_ms: floor!.ms,
      ratio: 1,
      rss_mb: floor!.rss,
      note: `client at ${client.name}; gateways from ${client.servers[0]!.name}: ${modes}; ${loads}`,
    });
    const sites = SITE_NAMES.map((s) => {
      const b = ping!.bySite?.get(s);
      return `${s} ${b?.replies ?? 0} by ${round(b?.lastMs ?? 0)} ms`;
    }).join(', ');
    kit.record({
      name: 'sites: mco ping (last reply)',
      n,
      wall_ms: ping!.ms,
      replies: ping!.replies,
      expected: n,
      floor_ms: floor!.ms,
      ratio: ping!.ms / floor!.ms,
      rss_mb: ping!.rss,
      note: `${sites}; process wall ${round(ping!.wall)} ms`,
    });
    kit.record({
      name: 'sites: broker RSS',
      n,
      wall_ms: 0,
      replies: 0,
      expected: 0,
      floor_ms: null,
      ratio: null,
      rss_mb: sc.servers.reduce((sum, s) => sum + rssMB(s.server.pid), 0),
      note: `sum over ${brokers} brokers`,
    });
  } finally {
    await stopAllSims();
    await sc.stop();
  }
}

/** `--only sites` at each of `sizes`. */
export async function sitesBench(sizes: number[], kit: FanoutKit): Promise<void> {
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--sites-sizes takes positive whole numbers, not ${n}`);
    await sitesSize(n, kit);
  }
}
