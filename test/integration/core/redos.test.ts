// Regular expressions that make a backtracking engine run for minutes, broadcast by an ordinary client to a real
// daemon (`mco server run`) and simulated nodes: every node keeps answering, because filters run on RE2.
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStats } from '../../../src/devkit/hostile.js';
import { emptyFilter, type Filter } from '../../../src/filter/index.js';
import { craftRequest, unsignedFrame } from '../../helpers/requests.js';
import { scratchDir } from '../../helpers/mco.js';
import { startDaemonAndSim, type DaemonAndSim, type RunningDaemon } from './daemon.js';

// Long identities: backtracking over `(.|.|.)*` costs about 3^length steps, over n `.*` about length^n.
const DAEMON = 'redos-target-daemon-0001.example.net';
const SIM_NODES = 5;
const ATTACKS = ['/^(.|.|.)*X$/', `/^${'.*'.repeat(12)}X$/`];

let daemon: RunningDaemon;
let fleet: DaemonAndSim;
let nc: NatsConnection;
const scratch = scratchDir();

beforeAll(async () => {
  fleet = await startDaemonAndSim(scratch, {
    identity: DAEMON,
    facts: 'role: db\n',
    simArgs: ['--nodes', String(SIM_NODES), '--prefix', 'redos-simulated-node'],
  });
  ({ daemon, nc } = fleet);
});

afterAll(async () => {
  await fleet?.stop();
  scratch.cleanup();
});

const mco = (args: string[]) => fleet.mco(args);
const SIM_NODE = 'redos-simulated-node-00001.example.net';
const daemonStats = (identity: string) => fleet.daemonStats(identity);
const statsWhen = (identity: string, ok: (s: DaemonStats) => boolean) => fleet.statsWhen(identity, ok);

/** A signed-nothing (insecure provider) ping carrying `filter`, as a client that skips validation would send it. */
function rawPing(filter: Filter): Uint8Array {
  const sender = 'attacker.0001';
  return unsignedFrame(craftRequest('user=mallory', { sender, filter }), `mcollective.reply.${sender}.x`, sender);
}

describe('regular expressions cannot hang a node', () => {
  it('after broadcasts of catastrophic patterns the daemon and every simulated node answer the next ping', async () => {
    const before = await daemonStats(DAEMON);
    // Sent by the ordinary client, as any certificate holder could: the filter is evaluated before any policy.
    const attacks = await Promise.all(ATTACKS.map((pattern) => mco(['ping', '-I', pattern, '-t', '1'])));
    for (const r of attacks) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('No responses received');
    }
    const ping = await mco(['ping', '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    const senders = (JSON.parse(ping.stdout) as { replies: Array<{ sender: string }> }).replies.map((r) => r.sender).sort();
    expect(senders).toEqual(
      [DAEMON, ...Array.from({ length: SIM_NODES }, (_, i) => `redos-simulated-node-0000${i + 1}.example.net`)].sort(),
    );

    const after = await daemonStats(DAEMON);
    expect(after.filtered - before.filtered).toBe(ATTACKS.length);
    expect(after.rejected.bad_filter ?? 0).toBe(before.rejected.bad_filter ?? 0);
    expect(after.pid).toBe(daemon.child.pid);
  });

  it('the same patterns in fact, class and compound filters are evaluated at once too', async () => {
    const args = [
      ['-F', `role=/^(.|.|.)*X$/`],
      ['-S', `/^(.|.|.)*X$/ or role=/^${'.*'.repeat(12)}X$/`],
      ['-C', '/^(a|a)*$/'],
    ];
    const attacks = await Promise.all(args.map((a) => mco(['ping', ...a, '-t', '1'])));
    for (const r of attacks) expect(r.code, r.stderr).toBe(4);
    const ping = await mco(['ping']);
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(new RegExp(`^${SIM_NODES + 1} replies`, 'm'));
  });

  it('syntax RE2 does not run is refused by the client with its position, and by nodes as bad_filter', async () => {
    const refused = await mco(['ping', '-I', '/^redos(?=-)/']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      [
        'mco: invalid filter in -I:',
        '     /^redos(?=-)/',
        '            ^',
        '     -I: lookahead (?= or (?! is not supported: filters use RE2 syntax, which matches in linear time',
        '',
      ].join('\n'),
    );

    // A client that skips validation: each node checks for itself.
    const [daemonBefore, simBefore] = await Promise.all([daemonStats(DAEMON), daemonStats(SIM_NODE)]);
    nc.publish('mcollective.broadcast.agent.rpcutil', rawPing({ ...emptyFilter(), identity: ['/^redos(?=-)/'] }));
    nc.publish(
      'mcollective.broadcast.agent.rpcutil',
      rawPing({ ...emptyFilter(), fact: [{ fact: 'role', operator: '=~', value: '^(d)\\1$' }] }),
    );
    await nc.flush();
    const grew = (b: DaemonStats) => (s: DaemonStats) => (s.rejected.bad_filter ?? 0) - (b.rejected.bad_filter ?? 0) === 2;
    const [daemonAfter, simAfter] = await Promise.all([statsWhen(DAEMON, grew(daemonBefore)), statsWhen(SIM_NODE, grew(simBefore))]);
    expect(daemonAfter.rejected.bad_filter! - (daemonBefore.rejected.bad_filter ?? 0)).toBe(2);
    expect(simAfter.rejected.bad_filter! - (simBefore.rejected.bad_filter ?? 0)).toBe(2);
    const logged = await daemon.waitForLog((l) => l.reason === 'bad_filter' && /backreference/.test(l.msg));
    expect(logged.level).toBe(40);
  });
});
