// Regular expressions that make a backtracking engine run for minutes, broadcast by an ordinary client to a real
// daemon (`mco server run`) and simulated nodes: every node keeps answering, because filters run on RE2.
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStats } from '../../../src/devkit/hostile.js';
import { emptyFilter, type Filter } from '../../../src/filter/index.js';
import { PROTOCOL, buildRequestFrame, encodeFrame, newRequestId } from '../../../src/protocol/index.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type DaemonStatsJson } from '../../helpers/json.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { clientConfig } from './fleet.js';

// Long identities: backtracking over `(.|.|.)*` costs about 3^length steps, over n `.*` about length^n.
const DAEMON = 'redos-target-daemon-0001.example.net';
const SIM_NODES = 5;
const ATTACKS = ['/^(.|.|.)*X$/', `/^${'.*'.repeat(12)}X$/`];

let broker: LocalNatsServer;
let sim: RunningSim;
let daemon: RunningDaemon;
let nc: NatsConnection;
let config: string;
const scratch = scratchDir();
const logFile = `${scratch.dir}/daemon.log`;

beforeAll(async () => {
  broker = await startNatsServer();
  scratch.file('facts.yaml', 'role: db\n');
  const serverCfg = scratch.file(
    'server.cfg',
    [`identity = ${DAEMON}`, `middleware_hosts = ${broker.url}`, 'securityprovider = insecure', `plugin.yaml = ${scratch.dir}/facts.yaml`, `classesfile = ${scratch.dir}/classes.txt`, `logfile = ${logFile}`, 'loglevel = info', ''].join('\n'),
  );
  config = clientConfig(scratch, broker.url);
  [daemon, sim] = await Promise.all([startDaemon(serverCfg, logFile), startSim(['--nodes', String(SIM_NODES), '--prefix', 'redos-simulated-node', '--server', broker.url])]);
  nc = await connect({ servers: broker.url.replace('nats://', '') });
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([daemon?.stop(), sim?.stop()]);
  await broker?.stop();
  scratch.cleanup();
});

const mco = (args: string[]) => runMco([...args, '--config', config]);
const SIM_NODE = 'redos-simulated-node-00001.example.net';

async function daemonStats(identity: string): Promise<DaemonStats> {
  const r = await mco(['rpc', 'rpcutil', 'daemon_stats', '-I', identity, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return parseAs<DaemonStatsJson>(r.stdout).replies[0]!.data;
}

/** Polls daemon_stats until `ok` holds: a rejected request has no reply to wait for. */
async function statsWhen(identity: string, ok: (s: DaemonStats) => boolean): Promise<DaemonStats> {
  let s = await daemonStats(identity);
  for (let i = 0; i < 20 && !ok(s); i++) {
    await new Promise((r) => setTimeout(r, 200));
    s = await daemonStats(identity);
  }
  return s;
}

/** A signed-nothing (insecure provider) ping carrying `filter`, as a client that skips validation would send it. */
function rawPing(filter: Filter): Uint8Array {
  const request = {
    protocol: PROTOCOL.request,
    id: newRequestId(),
    sender: 'attacker.0001',
    caller: 'user=mallory',
    collective: 'mcollective',
    agent: 'rpcutil',
    ttl: 60,
    time: Date.now(),
    filter,
    message: { agent: 'rpcutil', action: 'ping', data: {} },
  };
  return encodeFrame(buildRequestFrame({ protocol: PROTOCOL.secureRequest, request: JSON.stringify(request) }, 'attacker.0001', 'mcollective.reply.attacker.0001.x'));
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
    expect(senders).toEqual([DAEMON, ...Array.from({ length: SIM_NODES }, (_, i) => `redos-simulated-node-0000${i + 1}.example.net`)].sort());

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
    nc.publish('mcollective.broadcast.agent.rpcutil', rawPing({ ...emptyFilter(), fact: [{ fact: 'role', operator: '=~', value: '^(d)\\1$' }] }));
    await nc.flush();
    const grew = (b: DaemonStats) => (s: DaemonStats) => (s.rejected.bad_filter ?? 0) - (b.rejected.bad_filter ?? 0) === 2;
    const [daemonAfter, simAfter] = await Promise.all([statsWhen(DAEMON, grew(daemonBefore)), statsWhen(SIM_NODE, grew(simBefore))]);
    expect(daemonAfter.rejected.bad_filter! - (daemonBefore.rejected.bad_filter ?? 0)).toBe(2);
    expect(simAfter.rejected.bad_filter! - (simBefore.rejected.bad_filter ?? 0)).toBe(2);
    const logged = await daemon.waitForLog((l) => l.reason === 'bad_filter' && /backreference/.test(l.msg));
    expect(logged.level).toBe(40);
  });
});
