// Memory before authorisation: distinct signed requests of nearly max_message_size from a certificate the policy
// allows nothing, then distinct junk certificates, against a real daemon with a small V8 heap. Caches on the
// request path hold digests, never the text, so the daemon stays up and under its memory ceiling.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastSubject } from '../../../src/protocol/index.js';
import { craftRequest, daemonStats, frameOf, processMemoryMB, RawClient, signText } from '../../../src/devkit/hostile.js';
import { startHostileRig, type HostileRig } from '../../../src/devkit/hostile-rig.js';
import { runMco } from '../../helpers/mco.js';

const HEAP_MB = 160;
const RSS_CEILING_MB = 250;
const HUGE = 200;
const JUNK = 12_000;

let rig: HostileRig;
let client: RawClient;

beforeAll(async () => {
  rig = await startHostileRig({ nodeArgs: [`--max-old-space-size=${HEAP_MB}`] });
  client = await RawClient.connect(rig.url, 'hog');
}, 60_000);

afterAll(async () => {
  await client?.close();
  await rig?.stop();
});

/** Publishes `count` messages `chunk` at a time, each chunk followed by a signed ping the node must answer. */
async function paced(count: number, chunk: number, make: (i: number) => Uint8Array): Promise<void> {
  for (let i = 0; i < count; i += chunk) {
    for (let j = i; j < Math.min(count, i + chunk); j++) client.publish(broadcastSubject('mcollective', 'rpcutil'), make(j));
    const reply = await client.rpc(rig.signers.ops, rig.identity, 'ping', 60_000).reply;
    expect(reply?.message.statuscode, `the node answers after ${i + chunk} messages`).toBe(0);
  }
}

describe('memory before authorisation', () => {
  it(`${HUGE} distinct 1 MiB requests from a caller allowed nothing, then ${JUNK} junk certificates: the daemon stays up under ${RSS_CEILING_MB} MB`, async () => {
    const { mallory, ops } = rig.signers;
    const pad = 'x'.repeat((1 << 20) - 8192);
    await paced(HUGE, 10, () => {
      const req = craftRequest(mallory.caller, { ttl: 86_400, message: { agent: 'rpcutil', action: 'ping', data: { pad } } });
      return frameOf(signText(JSON.stringify(req), mallory), client.replyTo(req.id));
    });
    const beforeJunk = processMemoryMB(rig.daemon.pid!)!.rss;
    const body = randomBytes(4500)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n');
    await paced(JUNK, 1000, (i) => {
      const req = craftRequest(ops.caller);
      const cert = `-----BEGIN CERTIFICATE-----\n${i.toString(36).padStart(8, 'A')}${body}\n-----END CERTIFICATE-----\n`;
      return frameOf({ ...signText(JSON.stringify(req), ops), certificate: cert }, client.replyTo(req.id));
    });

    const stats = await daemonStats(client, ops, rig.identity);
    expect(stats.pid).toBe(rig.daemon.pid);
    expect(stats.rejected.unauthorized ?? 0).toBe(HUGE);
    expect(stats.rejected.malformed_certificate).toBe(JUNK);
    const mem = processMemoryMB(rig.daemon.pid!);
    console.log(
      `daemon memory after the flood: rss ${mem?.rss.toFixed(0)} MB, peak ${mem?.peak.toFixed(0)} MB; the junk certificates added ${(mem!.rss - beforeJunk).toFixed(0)} MB`,
    );
    // 12,000 junk certificates of 6 KB: a cache keyed by their text would keep about 75 MB of them.
    expect(mem!.rss - beforeJunk).toBeLessThan(45);
    expect(mem!.peak).toBeLessThan(RSS_CEILING_MB);
    const ping = await runMco(['rpc', 'rpcutil', 'ping', '-I', rig.identity, '-c', rig.clientConfig, '--json']);
    expect(ping.code, ping.stderr).toBe(0);
  }, 240_000);
});
