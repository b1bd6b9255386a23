// The hostile flood against a real node daemon: 20,000 messages of every bad kind (malformed, unsigned, forged,
// replayed, stale, oversize, ReDoS, unauthorised, TTL abuse, a greedy caller) published raw onto the broker while a
// legitimate client pings every 100 ms. The node runs nothing it should not, never dies, stays under its memory
// ceiling, answers every ping, and its counters add up to what was sent. `npm run bench -- --only hostile` runs the
// same flood at 300,000 messages.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStats, RawClient, runFlood } from '../../../src/devkit/hostile.js';
import { startHostileRig, type HostileRig } from '../../../src/devkit/hostile-rig.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { runMco } from '../../helpers/mco.js';

const TOTAL = 20_000;
// Above what the pings and barriers of ops use during the flood, so only the greedy caller reaches it.
const QUOTA = 1000;
/** Each one backtracks for seconds with the backtracking regex engine; a linear-time one refuses it at once. */
const REDOS = 2;
/** The daemon's resident memory under any flood, in MB. */
const RSS_CEILING_MB = 250;

let rig: HostileRig;

beforeAll(async () => {
  rig = await startHostileRig({ audit: true, config: { 'plugin.security.replay_quota': QUOTA } });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe('a node under a hostile flood', () => {
  it('runs nothing it should not, stays up and under its memory ceiling, answers every ping, and counts every message', async () => {
    const client = await RawClient.connect(rig.url, 'stats');
    const before = await daemonStats(client, rig.signers.ops, rig.identity);
    const report = await runFlood({
      url: rig.url,
      identity: rig.identity,
      signers: rig.signers,
      total: TOTAL,
      maxMessageSize: 1 << 20,
      quota: QUOTA,
      greedyExtra: 100,
      redos: REDOS,
      oversize: 5,
      huge: 30,
      pid: rig.daemon.pid,
    });
    const after = await daemonStats(client, rig.signers.ops, rig.identity);
    await client.close();
    console.log(JSON.stringify({ ...report, kinds: undefined }));

    expect(rig.daemon.exitCode).toBeNull();
    expect(after.pid).toBe(rig.daemon.pid);
    expect(report.peakRssMB).toBeLessThan(RSS_CEILING_MB);
    expect(report.pings.answered).toBe(report.pings.sent);

    // Every reason grew by exactly what was sent of it, and no other.
    const grew: Record<string, number> = {};
    for (const [reason, n] of Object.entries(after.rejected)) {
      const d = n - (before.rejected[reason] ?? 0);
      if (d) grew[reason] = d;
    }
    expect(grew).toEqual(report.expected.rejected);
    expect(after.filtered - before.filtered).toBe(report.expected.filtered);
    expect(after.ttlexpired - before.ttlexpired).toBe(report.expected.rejected.ttl_expired);
    // Everything that ran: the greedy caller within its quota, the pings, the pacing barriers, this stats request.
    const ran = report.expected.executed + report.pings.sent + report.barriers + 1;
    const rejected = Object.values(grew).reduce((a, b) => a + b, 0);
    expect(after.total - before.total).toBe(TOTAL + report.pings.sent + report.barriers + 1);
    expect(after.total - before.total).toBe(rejected + report.expected.filtered + ran);

    // The audit log agrees: only ops and greedy ran anything, greedy exactly its quota, mallory nothing.
    const allowed = readFileSync(rig.auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { decision: string; caller?: string; statuscode?: number })
      .filter((l) => l.decision === 'allowed');
    expect(allowed.filter((l) => l.caller === 'cert=greedy.troupe')).toHaveLength(QUOTA);
    expect(allowed.filter((l) => l.caller !== 'cert=greedy.troupe' && l.caller !== 'cert=ops.troupe')).toEqual([]);

    const ping = await runMco(['rpc', 'rpcutil', 'ping', '-I', rig.identity, '-c', rig.clientConfig, '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(parseAs<ReportJson>(ping.stdout).replies[0]).toMatchObject({ sender: rig.identity, statuscode: 0 });
  }, 300_000);
});
