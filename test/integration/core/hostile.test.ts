// Garbage, oversized, stale, future-dated, wrongly shaped and injected requests published raw onto the subjects a
// real daemon (`mco server run`) and simulated nodes listen on: they keep answering and count each rejection.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStats } from '../../../src/devkit/hostile.js';
import { emptyFilter } from '../../../src/filter/index.js';
import { PROTOCOL, checkSecureReply, decodeFrame, decodeReply, newRequestId, type RequestEnvelope } from '../../../src/protocol/index.js';
import type { LocalNatsServer } from '../../helpers/broker.js';
import { scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemonAndSim, type DaemonAndSim, type RunningDaemon } from './daemon.js';
import { craftRequest, unsignedFrame } from '../../helpers/requests.js';
import { waitFor } from '../../helpers/wait.js';
import { type DaemonStatsJson, type LogLine, parseAs } from '../../helpers/json.js';

const DAEMON = 'd1.example.net';
const SIM_NODES = 10;

let broker: LocalNatsServer;
let floodSim: RunningSim | undefined;
let daemon: RunningDaemon;
let fleet: DaemonAndSim;
let nc: NatsConnection;
const scratch = scratchDir();
const logFile = `${scratch.dir}/daemon.log`;

beforeAll(async () => {
  fleet = await startDaemonAndSim(scratch, {
    identity: DAEMON,
    facts: 'role: db\nos:\n  family: Debian\n',
    simArgs: ['--nodes', String(SIM_NODES), '--prefix', 'sim'],
    // The floods below arrive faster than a loaded machine may read them; a generous write deadline keeps the broker
    // from cutting a starved node off as a slow consumer (and dropping part of a flood the test counts exactly).
    broker: { config: 'write_deadline: "60s"' },
  });
  ({ broker, daemon, nc } = fleet);
});

afterAll(async () => {
  await floodSim?.stop();
  await fleet?.stop();
  scratch.cleanup();
});

const mco = (args: string[]) => fleet.mco(args);
const daemonStats = (identity: string) => fleet.daemonStats(identity);
/** Polls daemon_stats until `ok` holds (replies to hostile messages are processed asynchronously). */
const statsWhen = (identity: string, ok: (s: DaemonStats) => boolean) => fleet.statsWhen(identity, ok, 10);

const ATTACKER = 'attacker.0001';
const request = (over: Partial<RequestEnvelope> = {}): RequestEnvelope => craftRequest('user=mallory', { sender: ATTACKER, ...over });
const frame = (req: RequestEnvelope | Record<string, unknown>, replyTo = `mcollective.reply.${ATTACKER}.x`) =>
  unsignedFrame(req, replyTo, ATTACKER);
const text = (s: string) => new TextEncoder().encode(s);

/** Each hostile message and the reason a node must count it under. */
const HOSTILE: Array<[string, string, () => Uint8Array]> = [
  ['malformed', 'binary garbage', () => new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28])],
  ['malformed', 'text that is not JSON', () => text('PING {not json')],
  [
    'schema',
    'JSON of the wrong shape',
    () => text(JSON.stringify({ protocol: PROTOCOL.transport, sender: 'x', data: { hello: 'world' } })),
  ],
  [
    'oversize',
    'a message over max_message_size',
    () => frame(request({ message: { agent: 'rpcutil', action: 'ping', data: { pad: 'x'.repeat(1_100_000) } } })),
  ],
  ['ttl_expired', 'a stale request', () => frame(request({ time: Date.now() - 300_000 }))],
  ['future_message', 'a request dated ten minutes ahead', () => frame(request({ time: Date.now() + 600_000 }))],
  ['bad_filter', 'a filter no node can evaluate', () => frame(request({ filter: { ...emptyFilter(), compound: ['role=db and ('] } }))],
  ['schema', 'a reply address that injects broker commands', () => frame(request(), 'x 0\r\n\r\nUNSUB 1\r\nPUB y')],
];

describe('hostile requests', () => {
  it('every kind is rejected and counted under its reason, by the daemon and by simulated nodes alike', async () => {
    const before = await daemonStats(DAEMON);
    const simBefore = await daemonStats('sim-00001.example.net');
    for (const [, , make] of HOSTILE) {
      nc.publish('mcollective.broadcast.agent.rpcutil', make());
      nc.publish(`mcollective.node.${DAEMON}`, make());
    }
    await nc.flush();

    const expected: Record<string, number> = {};
    for (const [reason] of HOSTILE) expected[reason] = (expected[reason] ?? 0) + 1;
    const grew = (s: DaemonStats, b: DaemonStats, times: number) =>
      Object.entries(expected).every(([reason, n]) => (s.rejected[reason] ?? 0) - (b.rejected[reason] ?? 0) === n * times);

    const after = await statsWhen(DAEMON, (s) => grew(s, before, 2));
    for (const [reason, n] of Object.entries(expected))
      expect(after.rejected[reason]! - (before.rejected[reason] ?? 0), reason).toBe(2 * n);
    expect(after.ttlexpired - before.ttlexpired).toBe(2);
    expect(after.unvalidated - before.unvalidated).toBe(2 * (expected.malformed! + expected.schema! + expected.oversize!));
    expect(after.replies - before.replies).toBe(1); // only the daemon_stats request in between was answered

    const simAfter = await statsWhen('sim-00001.example.net', (s) => grew(s, simBefore, 1));
    for (const [reason, n] of Object.entries(expected))
      expect(simAfter.rejected[reason]! - (simBefore.rejected[reason] ?? 0), reason).toBe(n);
  });

  it('each rejection is logged once, as a warning naming its reason', async () => {
    const stats = await daemonStats(DAEMON);
    await daemon.waitForLog((l) => l.reason === 'bad_filter');
    const warnings = daemon.log().filter((l) => l.level === 40 && l.reason);
    const byReason: Record<string, number> = {};
    for (const w of warnings) byReason[w.reason!] = (byReason[w.reason!] ?? 0) + 1;
    expect(byReason).toEqual(stats.rejected);
  });

  it('a request for another collective is refused; an unknown agent gets status 2', async () => {
    const before = await daemonStats(DAEMON);
    const replyTo = `mcollective.reply.attacker.0001.${newRequestId()}`;
    const replies: Uint8Array[] = [];
    const sub = nc.subscribe(replyTo, { callback: (_e, m) => replies.push(m.data) });
    await nc.flush();
    nc.publish(`mcollective.node.${DAEMON}`, frame(request({ collective: 'dev' }), replyTo));
    nc.publish(
      `mcollective.node.${DAEMON}`,
      frame(request({ agent: 'nosuch', message: { agent: 'nosuch', action: 'run', data: {} } }), replyTo),
    );
    await nc.flush();
    const after = await statsWhen(DAEMON, (s) => (s.rejected.unknown_agent ?? 0) > (before.rejected.unknown_agent ?? 0));
    expect((after.rejected.wrong_collective ?? 0) - (before.rejected.wrong_collective ?? 0)).toBe(1);
    expect((after.rejected.unknown_agent ?? 0) - (before.rejected.unknown_agent ?? 0)).toBe(1);
    // The node handles them in order: a reply to the first would have come before the reply to the second.
    await waitFor('the reply to the unknown agent', () => replies.length > 0, 10_000, 10);
    await nc.flush();
    sub.unsubscribe();
    expect(replies).toHaveLength(1);
    const reply = decodeReply(checkSecureReply(decodeFrame(replies[0]!, 1 << 20).data).reply);
    expect(reply.sender).toBe(DAEMON);
    expect(reply.message.statuscode).toBe(2);
    expect(reply.message.statusmsg).toContain("'nosuch'");
  });

  it('after a flood of garbage every node still answers, and the daemon is still the same process', async () => {
    for (let i = 0; i < 300; i++) {
      nc.publish('mcollective.broadcast.agent.discovery', text(`garbage ${i} \u0000`));
      nc.publish(`mcollective.node.${DAEMON}`, new Uint8Array(i % 64).fill(0xff));
    }
    nc.publish(
      'mcollective.broadcast.agent.discovery',
      frame(request({ agent: 'discovery', message: { agent: 'discovery', action: 'ping', data: {} } }), 'x\r\nUNSUB 1'),
    );
    await nc.flush();
    const ping = await mco(['ping']);
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(new RegExp(`^${SIM_NODES + 1} replies`, 'm'));
    const rpc = await mco(['rpc', 'rpcutil', 'ping', '-I', DAEMON]);
    expect(rpc.code).toBe(0);
    expect(daemon.child.exitCode).toBeNull();
    const stats = await daemonStats(DAEMON);
    expect(stats.rejected.malformed).toBeGreaterThanOrEqual(600);
    expect(stats.pid).toBe(daemon.child.pid);
  });

  it('a flood of 20,000 empty messages is counted one by one but logged in a bounded number of lines', async () => {
    const FLOOD = 20_000;
    const before = await daemonStats(DAEMON);
    const bytesBefore = statSync(logFile).size;
    const linesBefore = daemon.log().length;
    for (let i = 0; i < FLOOD; i++) nc.publish(`mcollective.node.${DAEMON}`, new Uint8Array(0));
    await nc.flush();

    // Wait on the counter: every message of the flood is counted, however few are logged.
    const target = (before.rejected.malformed ?? 0) + FLOOD;
    let after = await daemonStats(DAEMON);
    for (let i = 0; i < 150 && after.rejected.malformed! < target; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await daemonStats(DAEMON);
    }
    expect(after.rejected.malformed).toBe(target);
    expect(after.unvalidated - before.unvalidated).toBe(FLOOD);

    // Then on the log: once the last interval's summary is out, the lines account for every rejection exactly.
    const accounted = () =>
      daemon
        .log()
        .filter((l) => l.level === 40 && l.reason === 'malformed')
        .reduce((n, l) => n + (typeof l.suppressed === 'number' ? l.suppressed : 1), 0);
    await daemon.waitForLog(() => accounted() === target);

    // 20,000 warnings of ~300 bytes would be 6 MB; a few lines per second of flood stay far below 64 KB.
    const grown = statSync(logFile).size - bytesBefore;
    const lines = daemon.log().length - linesBefore;
    expect(grown, `the log grew by ${grown} bytes in ${lines} lines`).toBeLessThan(64 * 1024);
    expect(lines).toBeLessThan(300);
    const summaries = daemon
      .log()
      .slice(linesBefore)
      .filter((l) => l.reason === 'malformed' && l.suppressed);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0]!.msg).toMatch(/^suppressed \d+ rejections of reason malformed in the last [\d.]+ s$/);
    expect(daemon.child.exitCode).toBeNull();
  }, 60_000);

  it('simulated nodes writing to one log share its limit: a flood rejected by every node is not logged once per node', async () => {
    const NODES = 10;
    const FLOOD = 1000;
    const simLog = `${scratch.dir}/flood-sim.log`;
    const simCfg = scratch.file(
      'flood-sim.cfg',
      `securityprovider = insecure\nplugin.actionpolicy.allow_unconfigured = 1\nlogfile = ${simLog}\n`,
    );
    const flooded = (floodSim = await startSim(['--nodes', String(NODES), '--prefix', 'flood', '--server', broker.url, '-c', simCfg]));
    try {
      // Straight to each node, so the other nodes of the test are spared the flood.
      for (let i = 0; i < FLOOD; i++) {
        for (let n = 1; n <= NODES; n++) nc.publish(`mcollective.node.flood-${String(n).padStart(5, '0')}.example.net`, new Uint8Array(0));
      }
      await nc.flush();
      // Wait on the counters: every node has rejected every message.
      const counts = async () => {
        const r = await mco(['rpc', 'rpcutil', 'daemon_stats', '-I', '/^flood-/', '--json']);
        return parseAs<DaemonStatsJson>(r.stdout).replies.map((x) => x.data.rejected.malformed ?? 0);
      };
      let seen = await counts();
      for (let i = 0; i < 100 && !(seen.length === NODES && seen.every((n) => n === FLOOD)); i++) {
        await new Promise((r) => setTimeout(r, 200));
        seen = await counts();
      }
      expect(seen).toEqual(Array(NODES).fill(FLOOD));
      // Wait on the log: once the last summary is out, its lines account for all 10,000 rejections exactly.
      // The sim writes its log asynchronously: a last line still being written is not read yet.
      const simLines = () =>
        (existsSync(simLog) ? readFileSync(simLog, 'utf8').split('\n') : [])
          .flatMap((l) => {
            try {
              return [JSON.parse(l) as LogLine];
            } catch {
              return [];
            }
          })
          .filter((l) => l.reason === 'malformed');
      const accounted = () => simLines().reduce((n, l) => n + (typeof l.suppressed === 'number' ? l.suppressed : 1), 0);
      for (let i = 0; i < 100 && accounted() < NODES * FLOOD; i++) await new Promise((r) => setTimeout(r, 100));
      expect(accounted()).toBe(NODES * FLOOD);
      // One limit for the fleet: at most 10 warnings before each summary. A limit per node would let each of the
      // ten nodes write its own 10 (about 100 in a row) and its own summary.
      const runs = simLines()
        .map((l) => (l.suppressed ? 'S' : '.'))
        .join('')
        .split('S');
      expect(Math.max(...runs.map((r) => r.length)), runs.join('S')).toBeLessThanOrEqual(10);
    } finally {
      await flooded.stop();
    }
  }, 180_000);
});
