// Every kind of forged, stale or broken request reaches a real node daemon and is refused: counted under its
// own reason in rpcutil daemon_stats, logged once, never executed (no reply, `passed` unchanged), and the
// daemon keeps answering valid signed requests from real `mco` processes throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStats } from '../../../src/devkit/hostile.js';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import type { LocalNatsServer } from '../../helpers/broker.js';
import { runMco, type Scratch } from '../../helpers/mco.js';
import { connect } from 'nats';
import { buildReplyFrame, encodeFrame, sha256Hex } from '../../../src/protocol/index.js';
import { credentialsFrom, envelope, sign, type Credentials, type Injector } from './craft.js';
import { logLines, startPkiNode, type PkiNode } from './daemon.js';
import { waitFor } from '../../helpers/wait.js';
import { type DaemonStatsJson, type PingJson, type ReportJson, parseAs } from '../../helpers/json.js';

const NODE = 'node1.example.net';
const DAY = 86_400_000;

let pki: DevPki;
let foreign: DevPki;
let nats: LocalNatsServer;
let scratch: Scratch;
let node: PkiNode | undefined;
let injector: Injector;
let clientCfg: string;
let logFile: string;
let ops: Credentials;

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: ['ops.troupe', 'gone.troupe'] });
  pki.issue('old.troupe', { profile: 'client', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
  pki.issue('big.troupe', { profile: 'client', altNames: Array.from({ length: 400 }, (_, i) => `alias-${i}.example.net`) });
  pki.revoke('gone.troupe');
  foreign = createDevPki({ clients: ['ops.troupe'] });
  // Signed replies on both sides: this file also proves that forged replies cannot get past the client.
  const signed = { 'plugin.security.sign_replies': 1 };
  node = await startPkiNode(pki, NODE, { prefix: 'troupe-badinput-', security: signed });
  ({ nats, scratch, logFile, injector } = node);
  clientCfg = scratch.file(
    'client.cfg',
    configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig('ops.troupe', signed) }),
  );
  ops = credentialsFrom(pki.certPath('ops.troupe'), pki.keyPath('ops.troupe'));
}, 60_000);

afterAll(async () => {
  await node?.stop();
  pki?.cleanup();
  foreign?.cleanup();
});

const creds = (name: string, from: DevPki = pki) => credentialsFrom(from.certPath(name), from.keyPath(name));
const signedBy = (c: Credentials, caller: string, overrides = {}) => {
  const req = envelope(caller, overrides);
  return sign(JSON.stringify(req), c);
};

async function stats(): Promise<DaemonStats> {
  const r = await runMco(['rpc', 'rpcutil', 'daemon_stats', '-I', NODE, '-c', clientCfg, '--json']);
  expect(r.code).toBe(0);
  return parseAs<DaemonStatsJson>(r.stdout).replies[0]!.data;
}

describe('a node with securityprovider = pki', () => {
  it('answers signed requests from real mco processes', async () => {
    const ping = await runMco(['ping', '-c', clientCfg, '--expect', '1', '--json']);
    expect(ping.code).toBe(0);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
    const inv = await runMco(['rpc', 'rpcutil', 'inventory', '-I', NODE, '-c', clientCfg, '--json']);
    expect(parseAs<ReportJson>(inv.stdout).replies[0]).toMatchObject({ sender: NODE, statuscode: 0 });
  });

  it('refuses each bad input under its own reason, logs it once, never runs it, and keeps answering', async () => {
    const before = await stats();
    const valid = () => signedBy(ops, 'cert=ops.troupe');
    const replayed = valid();
    expect(await injector.send(replayed)).toHaveLength(1);

    const bad: Array<[string, () => ReturnType<typeof sign>]> = [
      ['unsigned', () => ({ protocol: 'troupe:secure:request:1', request: JSON.stringify(envelope('cert=ops.troupe')) })],
      [
        'bad_signature',
        () => {
          const s = valid();
          return { ...s, request: s.request.replace('"ping"', '"inventory"') };
        },
      ],
      ['untrusted_certificate', () => signedBy(creds('ops.troupe', foreign), 'cert=ops.troupe')],
      ['expired_certificate', () => signedBy(creds('old.troupe'), 'cert=old.troupe')],
      ['revoked_certificate', () => signedBy(creds('gone.troupe'), 'cert=gone.troupe')],
      ['caller_mismatch', () => signedBy(ops, 'cert=admin.troupe')],
      ['replay', () => replayed],
      ['ttl_expired', () => signedBy(ops, 'cert=ops.troupe', { time: Date.now() - 120_000 })],
      ['future_message', () => signedBy(ops, 'cert=ops.troupe', { time: Date.now() + 120_000 })],
      [
        'malformed_certificate',
        () => ({ ...valid(), certificate: '-----BEGIN CERTIFICATE-----\nTUlJQm9uc2Vuc2U=\n-----END CERTIFICATE-----\n' }),
      ],
      ['oversized_certificate', () => signedBy(creds('big.troupe'), 'cert=big.troupe')],
      ['not_a_client', () => signedBy(creds(NODE), `cert=${NODE}`)],
      ['wrong_collective', () => signedBy(ops, 'cert=ops.troupe', { collective: 'elsewhere' })],
    ];
    for (const [reason, make] of bad) {
      expect(await injector.send(make(), 400), `${reason} must get no reply`).toEqual([]);
      expect(await injector.send(valid()), `the node still answers after ${reason}`).toHaveLength(1);
    }

    const after = await stats();
    for (const [reason] of bad) expect(after.rejected[reason] ?? 0, reason).toBe((before.rejected[reason] ?? 0) + 1);
    // Executed: the valid probes (one per bad input, plus the first), and the stats request itself.
    expect(after.passed - before.passed).toBe(bad.length + 1 + 1);
    expect(after.ttlexpired - before.ttlexpired).toBe(1);

    const rejections = await waitFor(
      'a log line for each rejection',
      () => {
        const logged = logLines(logFile).filter((l) => String(l.msg).startsWith('rejected request'));
        return bad.every(([reason]) => logged.some((l) => l.reason === reason)) && logged;
      },
      10_000,
      25,
    );
    for (const [reason] of bad)
      expect(
        rejections.filter((l) => l.reason === reason),
        reason,
      ).toHaveLength(1);

    const ping = await runMco(['ping', '-c', clientCfg, '--expect', '1', '--json']);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
  });

  it('a client from another CA gets no answers', async () => {
    const foreignCfg = scratch.file(
      'foreign.cfg',
      configText({ middleware_hosts: nats.url, discovery_timeout: 1, ...foreign.clientConfig('ops.troupe') }),
    );
    const r = await runMco(['ping', '-c', foreignCfg, '--json', '-t', '1']);
    expect(parseAs<PingJson>(r.stdout).stats.count).toBe(0);
  });

  it('mco ignores forged replies: unsigned, signed by another CA, or signed by one node in the name of another', async () => {
    const nc = await connect({ servers: nats.url.replace('nats://', '') });
    let forged = 0;
    const sub = nc.subscribe('mcollective.broadcast.agent.>', {
      callback: (_err, msg) => {
        const frame = JSON.parse(new TextDecoder().decode(msg.data)) as { reply_to: string; data: { request: string } };
        const id = (JSON.parse(frame.data.request) as { id: string }).id;
        const reply = (sender: string) =>
          JSON.stringify({
            protocol: 'troupe:reply:1',
            request_id: id,
            sender,
            agent: 'discovery',
            action: 'ping',
            time: Date.now(),
            message: { statuscode: 0, statusmsg: 'OK', data: { pong: Date.now() } },
          });
        const frameOf = (secure: object) => encodeFrame(buildReplyFrame(secure as never, 'ghost'));
        const unsigned = reply('ghost1.example.net');
        nc.publish(frame.reply_to, frameOf({ protocol: 'troupe:secure:reply:1', reply: unsigned, hash: sha256Hex(unsigned) }));
        const alien = reply('ops.troupe');
        const alienSig = sign(alien, creds('ops.troupe', foreign));
        nc.publish(
          frame.reply_to,
          frameOf({
            protocol: 'troupe:secure:reply:1',
            reply: alien,
            hash: sha256Hex(alien),
            signature: alienSig.signature,
            certificate: alienSig.certificate,
          }),
        );
        const posing = reply('node2.example.net');
        const posingSig = sign(posing, creds(NODE));
        nc.publish(
          frame.reply_to,
          frameOf({
            protocol: 'troupe:secure:reply:1',
            reply: posing,
            hash: sha256Hex(posing),
            signature: posingSig.signature,
            certificate: posingSig.certificate,
          }),
        );
        forged += 3;
      },
    });
    await nc.flush();
    try {
      const r = await runMco(['ping', '-c', clientCfg, '--json', '-t', '2']);
      const out = JSON.parse(r.stdout) as { stats: { count: number }; replies?: Array<{ sender: string }> };
      expect(forged).toBeGreaterThanOrEqual(3);
      expect(out.stats.count).toBe(1);
      expect(r.stdout).not.toMatch(/ghost1|node2\.example|"ops\.troupe"/);
    } finally {
      sub.unsubscribe();
      await nc.close();
    }
  });
});
