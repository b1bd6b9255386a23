// The hostile flood check: a real node daemon (pki, action policies) under a mixed flood of hostile messages while
// a legitimate client pings it every 100 ms. Checks that nothing ran that should not, that the daemon never died
// and stayed under its memory ceiling, that every ping was answered, and that its counters add up to what was sent.
// Run through `npm run bench -- --only hostile` or directly: `node dist/bench/hostile.js [messages] [redos]`.
import { daemonStats, RawClient, runFlood, type FloodReport } from '../src/devkit/hostile.js';
import { startHostileRig } from '../src/devkit/hostile-rig.js';

/** The daemon's resident memory under any flood, in MB (README, Security). */
export const RSS_CEILING_MB = 250;
const QUOTA = 5000;

export interface HostileResult extends FloodReport {
  /** Problems found; empty when every property held. */
  failures: string[];
  countersGrew: Record<string, number>;
}

export async function hostileFlood(total: number, redos: number, onProgress?: (sent: number) => void): Promise<HostileResult> {
  const rig = await startHostileRig({ config: { 'plugin.security.replay_quota': QUOTA } });
  try {
    const client = await RawClient.connect(rig.url, 'stats');
    const before = await daemonStats(client, rig.signers.ops, rig.identity);
    const report = await runFlood({
      url: rig.url,
      identity: rig.identity,
      signers: rig.signers,
      total,
      maxMessageSize: 1 << 20,
      quota: QUOTA,
      greedyExtra: 1000,
      redos,
      oversize: 20,
      huge: 200,
      chunk: 1000,
      pid: rig.daemon.pid,
      onProgress,
    });
    const after = await daemonStats(client, rig.signers.ops, rig.identity);
    await client.close();

    const failures: string[] = [];
    const grew: Record<string, number> = {};
    for (const [reason, n] of Object.entries(after.rejected)) {
      const d = n - (before.rejected[reason] ?? 0);
      if (d) grew[reason] = d;
    }
    for (const reason of new Set([...Object.keys(grew), ...Object.keys(report.expected.rejected)])) {
      if ((grew[reason] ?? 0) !== (report.expected.rejected[reason] ?? 0))
        failures.push(`rejected.${reason} grew by ${grew[reason] ?? 0}, expected ${report.expected.rejected[reason] ?? 0}`);
    }
    if (after.filtered - before.filtered !== report.expected.filtered)
      failures.push(`filtered grew by ${after.filtered - before.filtered}, expected ${report.expected.filtered}`);
    const ran = report.expected.executed + report.pings.sent + report.barriers + 1;
    const rejected = Object.values(grew).reduce((a, b) => a + b, 0);
    const total_ = after.total - before.total;
    if (total_ !== total + report.pings.sent + report.barriers + 1)
      failures.push(`total grew by ${total_}, expected ${total + report.pings.sent + report.barriers + 1}`);
    if (total_ !== rejected + report.expected.filtered + ran)
      failures.push(`total ${total_} != rejected ${rejected} + filtered ${report.expected.filtered} + ran ${ran}`);
    if (after.pid !== rig.daemon.pid || rig.daemon.exitCode !== null) failures.push('the daemon died');
    if (report.pings.answered !== report.pings.sent)
      failures.push(`${report.pings.sent - report.pings.answered} of ${report.pings.sent} pings unanswered`);
    if ((report.peakRssMB ?? Infinity) >= RSS_CEILING_MB)
      failures.push(`peak RSS ${report.peakRssMB} MB over the ${RSS_CEILING_MB} MB ceiling`);
    return { ...report, failures, countersGrew: grew };
  } finally {
    await rig.stop();
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 300_000);
  const redos = Number(process.argv[3] ?? 3);
  const r = await hostileFlood(total, redos, (n) => n % 50_000 === 0 && console.log(`  ${n} sent`));
  console.log(JSON.stringify(r, null, 2));
  if (r.failures.length) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
