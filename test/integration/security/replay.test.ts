// Attacks on "a node runs a signed, authorised request exactly once, and no client can lock others out", each
// against a real `mco server run` daemon with pki security on a real nats-server, with requests crafted on the
// wire and real `mco` commands: replay-cache exhaustion with day-long TTLs, a day-old request, replays after
// SIGHUP and after a restart (with and without the replay file), and one caller flooding its quota.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastSubject, nodeSubject } from '../../../src/protocol/index.js';
import { craftRequest, daemonStats, frameOf, RawClient, signText, type Signer } from '../../../src/devkit/hostile.js';
import { startHostileRig, type HostileRig } from '../../../src/devkit/hostile-rig.js';
import { runMco } from '../../helpers/mco.js';

const DAY_S = 86_400;

/** A signed request and its bytes, sent as often as the test likes. */
function signedRequest(client: RawClient, signer: Signer, over: Parameters<typeof craftRequest>[1] = {}) {
  const req = craftRequest(signer.caller, over);
  return { req, bytes: frameOf(signText(JSON.stringify(req), signer), client.replyTo(req.id)) };
}

const send = (client: RawClient, identity: string, r: ReturnType<typeof signedRequest>, timeoutMs = 1500) =>
  client.request(nodeSubject('mcollective', identity), r.req.id, r.bytes, timeoutMs);

async function mcoPing(rig: HostileRig) {
  const r = await runMco(['rpc', 'rpcutil', 'ping', '-I', rig.identity, '-c', rig.clientConfig, '--json']);
  return {
    code: r.code,
    replies: (JSON.parse(r.stdout || '{"replies":[]}') as { replies: Array<{ statuscode: number }> }).replies,
    stderr: r.stderr,
  };
}

/** The audit lines of requests that ran. */
const ran = (rig: HostileRig, id: string) =>
  readFileSync(rig.auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { decision: string; requestid?: string })
    .filter((l) => l.decision === 'allowed' && l.requestid === id).length;

describe('one client cannot lock every node out', () => {
  let rig: HostileRig;
  let client: RawClient;

  beforeAll(async () => {
    rig = await startHostileRig({ config: { 'plugin.security.replay_cache_size': 100 } });
    client = await RawClient.connect(rig.url, 'attacker');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await rig?.stop();
  });

  it('day-long TTLs for another collective or from a caller allowed nothing take no replay room', async () => {
    const { ops, mallory } = rig.signers;
    for (let i = 0; i < 150; i++) {
      client.publish(broadcastSubject('mcollective', 'rpcutil'), signedRequest(client, ops, { ttl: DAY_S, collective: 'elsewhere' }).bytes);
      client.publish(broadcastSubject('mcollective', 'rpcutil'), signedRequest(client, mallory, { ttl: DAY_S }).bytes);
    }
    await client.flush();
    const stats = await daemonStats(client, ops, rig.identity);
    expect(stats.rejected.wrong_collective).toBe(150);
    expect(stats.rejected.unauthorized).toBe(150);
    expect(stats.rejected.replay_cache_full).toBeUndefined();
    const ping = await mcoPing(rig);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.replies).toMatchObject([{ statuscode: 0 }]);
  });

  it("a request older than the node's cap is refused even when it asks for a day", async () => {
    const { ops } = rig.signers;
    const before = await daemonStats(client, ops, rig.identity);
    expect(await send(client, rig.identity, signedRequest(client, ops, { ttl: DAY_S, time: Date.now() - 23 * 3_600_000 }))).toBeUndefined();
    expect(await send(client, rig.identity, signedRequest(client, ops, { ttl: 3600, time: Date.now() - 360_000 }))).toBeUndefined();
    const after = await daemonStats(client, ops, rig.identity);
    expect((after.rejected.ttl_expired ?? 0) - (before.rejected.ttl_expired ?? 0)).toBe(2);
    expect(after.passed - before.passed).toBe(1); // the stats request only
    // A fresh request asking for a day runs (for the node's five minutes).
    expect(await send(client, rig.identity, signedRequest(client, ops, { ttl: DAY_S }))).toMatchObject({ message: { statuscode: 0 } });
  });
});

describe('a request that ran is refused as a replay after SIGHUP and after a restart', () => {
  let rig: HostileRig;
  let client: RawClient;

  beforeAll(async () => {
    rig = await startHostileRig({ audit: true });
    client = await RawClient.connect(rig.url, 'replayer');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await rig?.stop();
  });

  it('after SIGHUP', async () => {
    const r = signedRequest(client, rig.signers.ops);
    expect(await send(client, rig.identity, r)).toMatchObject({ message: { statuscode: 0 } });
    expect(await send(client, rig.identity, r)).toBeUndefined();
    await rig.reload();
    expect(await send(client, rig.identity, r)).toBeUndefined();
    expect(ran(rig, r.req.id)).toBe(1);
    // The counters start again with the reloaded daemon; the replay record does not.
    const stats = await daemonStats(client, rig.signers.ops, rig.identity);
    expect(stats.rejected.replay).toBe(1);
  });

  it('after a restart without a replay file: requests dated before the start are refused', async () => {
    const r = signedRequest(client, rig.signers.ops);
    expect(await send(client, rig.identity, r)).toMatchObject({ message: { statuscode: 0 } });
    await rig.restart();
    expect(await send(client, rig.identity, r)).toBeUndefined();
    expect(ran(rig, r.req.id)).toBe(1);
    const stats = await daemonStats(client, rig.signers.ops, rig.identity);
    expect(stats.rejected.before_start).toBe(1);
  });
});

describe('with plugin.security.replay_file and a quota per caller', () => {
  let rig: HostileRig;
  let client: RawClient;

  beforeAll(async () => {
    rig = await startHostileRig({
      audit: true,
      config: { 'plugin.security.replay_quota': 20, 'plugin.security.replay_file': '{dir}/replay.log' },
    });
    client = await RawClient.connect(rig.url, 'replayer');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await rig?.stop();
  });

  it('a restarted node refuses what ran before, and runs what did not, even if dated before its start', async () => {
    const ranBefore = signedRequest(client, rig.signers.ops);
    const notYet = signedRequest(client, rig.signers.ops);
    expect(await send(client, rig.identity, ranBefore)).toMatchObject({ message: { statuscode: 0 } });
    await rig.restart();
    expect(await send(client, rig.identity, ranBefore)).toBeUndefined();
    expect(await send(client, rig.identity, notYet)).toMatchObject({ message: { statuscode: 0 } });
    expect(ran(rig, ranBefore.req.id)).toBe(1);
    const stats = await daemonStats(client, rig.signers.ops, rig.identity);
    expect(stats.rejected.replay).toBe(1);
    expect(stats.rejected.before_start).toBeUndefined();
  });

  it('a caller at its quota is refused while others still run', async () => {
    const { greedy } = rig.signers;
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => send(client, rig.identity, signedRequest(client, greedy, { ttl: DAY_S }), 5000)),
    );
    const codes = replies.map((r) => r?.message.statuscode);
    expect(codes.filter((c) => c === 0)).toHaveLength(20);
    expect(codes.filter((c) => c === 1)).toHaveLength(10);
    expect(replies.find((r) => r?.message.statuscode === 1)?.message.statusmsg).toMatch(/quota 20/);
    const ping = await mcoPing(rig);
    expect(ping.code, ping.stderr).toBe(0);
    const stats = await daemonStats(client, rig.signers.ops, rig.identity);
    expect(stats.rejected.replay_quota).toBe(10);
  });
});
