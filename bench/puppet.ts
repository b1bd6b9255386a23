// `mco puppet status`, `count`, `summary` and `mco puppet runall C` across a simulated fleet whose Puppet is a stand-in script: it
// holds the run lock for half a second, records its own start and end, and writes a last_run_summary.yaml.
// The peak number of concurrent runs comes from those records, not from what the client believes.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForRegistry } from '../src/devkit/registry.js';
import { startBrokers } from './lib/brokers.js';
import { runMco, startSimProcess, stopProcess, type SimProcess } from './lib/processes.js';

export interface PuppetBenchResult {
  n: number;
  concurrency: number;
  /** `mco puppet status` across the fleet, spawn to exit (median of REPEAT). */
  statusWallMs: number;
  /** `mco puppet count`, the same way. */
  countWallMs: number;
  /** `mco puppet summary`, the same way. */
  summaryWallMs: number;
  /** The same three with `discovery_expect_from_registry = true`: discovery ends when every registered node answered. */
  registryWallMs: { status: number; count: number; summary: number };
  /** `mco puppet runall C` across the fleet, spawn to exit. */
  runallWallMs: number;
  /** Most stand-in runs alive at one moment, from their own timestamps. */
  peakConcurrent: number;
  /** Runs the stand-in recorded (one per node when runall finished them all). */
  runs: number;
}

const RUN_SECONDS = 0.5;
/** Each read-only command is timed this many times; the median is reported. */
const REPEAT = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Times `mco puppet <action> --json` REPEAT times; every run must hear from all `n` nodes. */
async function timeQuery(action: string, n: number, clientCfg: string, replies: (json: unknown) => number): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = await runMco(['puppet', action, '--json', '--config', clientCfg]);
    const got = r.code === 0 ? replies(JSON.parse(r.stdout)) : 0;
    if (got !== n) throw new Error(`puppet ${action}: ${got} of ${n} nodes (exit ${r.code}): ${r.stderr.slice(-500)}`);
    walls.push(r.wallMs);
  }
  return Math.round(median(walls));
}

/** The stand-in for `puppet agent`: `fake-puppet NODE_DIR STAMPS [puppet options…]`. */
const STAND_IN = `#!/bin/sh
dir=$1
stamps=$2
start=$(date +%s%N)
printf '%s' $$ > "$dir/run.lock"
sleep ${RUN_SECONDS}
printf -- '---\\nversion:\\n  config: bench\\nresources:\\n  total: 12\\n  changed: 1\\n  failed: 0\\ntime:\\n  config_retrieval: 0.2\\n  total: ${RUN_SECONDS}\\n  last_run: %s\\n' "$(date +%s)" > "$dir/summary.yaml.tmp"
mv "$dir/summary.yaml.tmp" "$dir/summary.yaml"
rm -f "$dir/run.lock"
echo "$start $(date +%s%N)" >> "$stamps"
`;

function peak(intervals: ReadonlyArray<[number, number]>): number {
  const events = intervals
    .flatMap(
      ([s, e]) =>
        [
          [s, 1],
          [e, -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (running += delta));
  return max;
}

export async function puppetBench(n: number, concurrency = Math.max(2, Math.min(100, Math.round(n / 10)))): Promise<PuppetBenchResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'troupe-puppet-bench-'));
  const brokers = await startBrokers(n);
  let sim: SimProcess | undefined;
  try {
    const standIn = join(scratch, 'fake-puppet');
    writeFileSync(standIn, STAND_IN);
    chmodSync(standIn, 0o755);
    const stamps = join(scratch, 'stamps');
    writeFileSync(stamps, '');
    const node = join(scratch, 'nodes', '{identity}');
    const serverCfg = join(scratch, 'server.cfg');
    // Every path is given, so no node needs to ask Puppet for its settings.
    writeFileSync(
      serverCfg,
      [
        `middleware_hosts = ${brokers.urls.join(',')}`,
        'securityprovider = insecure',
        'plugin.actionpolicy.allow_unconfigured = 1',
        `plugin.puppet.command = ${standIn} ${node} ${stamps}`,
        `plugin.puppet.agent_disabled_lockfile = ${node}/disabled.lock`,
        `plugin.puppet.agent_catalog_run_lockfile = ${node}/run.lock`,
        `plugin.puppet.pidfile = ${node}/agent.pid`,
        `plugin.puppet.lastrunfile = ${node}/summary.yaml`,
        `plugin.puppet.lastrunreport = ${node}/report.yaml`,
        `plugin.puppet.resourcefile = ${node}/resources.txt`,
        `plugin.puppet.runonce_lockfile = ${node}/troupe_runonce.lock`,
        '',
      ].join('\n'),
    );
    const clientCfg = join(scratch, 'client.cfg');
    writeFileSync(
      clientCfg,
      `middleware_hosts = ${brokers.urls.join(',')}\nsecurityprovider = insecure\ndiscovery_timeout = 10\ndiscovery_quiet_window = 1\n`,
    );
    sim = await startSimProcess(['--nodes', String(n), '--prefix', 'pup', '--config', serverCfg], n, n + 4096);

    const statusWallMs = await timeQuery('status', n, clientCfg, (j) => (j as { replies: unknown[] }).replies.length);
    const countWallMs = await timeQuery('count', n, clientCfg, (j) => (j as { counts: { total: number } }).counts.total);
    const summaryWallMs = await timeQuery('summary', n, clientCfg, (j) => (j as { nodes: number }).nodes);
    const registryCfg = join(scratch, 'client-registry.cfg');
    writeFileSync(registryCfg, readFileSync(clientCfg, 'utf8') + 'discovery_expect_from_registry = true\n');
    await waitForRegistry(brokers.urls[0]!, n, 120_000);
    const registryWallMs = {
      status: await timeQuery('status', n, registryCfg, (j) => (j as { replies: unknown[] }).replies.length),
      count: await timeQuery('count', n, registryCfg, (j) => (j as { counts: { total: number } }).counts.total),
      summary: await timeQuery('summary', n, registryCfg, (j) => (j as { nodes: number }).nodes),
    };

    const runall = await runMco(['puppet', 'runall', String(concurrency), '--json', '--config', clientCfg]);
    if (runall.code !== 0) throw new Error(`puppet runall exited ${runall.code}: ${runall.stderr.slice(-1000)}`);
    const intervals = readFileSync(stamps, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ').map((ns) => Number(BigInt(ns) / 1000n)) as [number, number]);
    return {
      n,
      concurrency,
      statusWallMs,
      countWallMs,
      summaryWallMs,
      registryWallMs,
      runallWallMs: Math.round(runall.wallMs),
      peakConcurrent: peak(intervals),
      runs: intervals.length,
    };
  } finally {
    if (sim) await stopProcess(sim.child);
    await brokers.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

// `node dist/bench/puppet.js [N] [CONCURRENCY]` runs it alone.
if (process.argv[1]?.endsWith('/bench/puppet.js')) {
  const n = Number(process.argv[2] ?? 1000);
  const c = process.argv[3] ? Number(process.argv[3]) : undefined;
  puppetBench(n, c).then(
    (r) => console.log(JSON.stringify(r)),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
