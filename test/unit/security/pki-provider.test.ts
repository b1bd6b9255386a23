// Signed requests and replies end to end in memory: what a node accepts, and each reason it refuses.
import { describe, expect, it } from 'vitest';
import { PROTOCOL, type RequestEnvelope } from '../../../src/protocol/index.js';
import { craftRequest } from '../../helpers/requests.js';
import { PkiProvider } from '../../../src/security/providers/pki.js';
import { SecurityError } from '../../../src/security/provider.js';
import { codeOf as errorCode } from '../../helpers/errors.js';
import { TrustStore } from '../../../src/security/trust/trust-store.js';
import { ReplayCache } from '../../../src/security/trust/replay-cache.js';
import { testCa, type TestLeaf } from './fixtures.js';
import { sha256Hex } from '../../../src/protocol/index.js';

const ca = testCa();
const trust = () => new TrustStore({ caPem: ca.pem, maxCertificateSize: 8192 });
const opsRsa = ca.issue('ops.troupe', { profile: 'client', keyType: 'rsa' });
const opsEd = ca.issue('dev.troupe', { profile: 'client', keyType: 'ed25519' });
const node1 = ca.issue('node1.example.net', { profile: 'node' });

function client(leaf: TestLeaf) {
  return new PkiProvider({ trust: trust(), identity: { certificatePem: leaf.certificatePem, privateKey: leaf.privateKey } });
}
function node(extra: Partial<ConstructorParameters<typeof PkiProvider>[0]> = {}) {
  return new PkiProvider({
    trust: trust(),
    identity: { certificatePem: node1.certificatePem, privateKey: node1.privateKey },
    // Started at 0: these tests make their requests before the node, which a real node would refuse as before_start.
    replay: new ReplayCache({ now: 0 }),
    clientPattern: /\.troupe$/,
    ...extra,
  });
}
const request = (caller: string, overrides: Partial<RequestEnvelope> = {}): RequestEnvelope =>
  craftRequest(caller, { sender: 'ws1', ...overrides });
const codeOf = (fn: () => unknown) => errorCode(SecurityError, fn);

describe('PkiProvider requests', () => {
  it.each([[opsRsa], [opsEd]])('a request signed by $name verifies, and the caller comes from the certificate', (leaf) => {
    const c = client(leaf);
    expect(c.callerId()).toBe(`cert=${leaf.name}`);
    const req = request(c.callerId());
    const secure = c.wrapRequest(JSON.stringify(req));
    expect(node().verifyRequest(secure, req)).toEqual({ caller: `cert=${leaf.name}` });
  });

  it('refuses each kind of bad request with its own reason', () => {
    const c = client(opsRsa);
    const n = node();
    const sign = (req: RequestEnvelope) => c.wrapRequest(JSON.stringify(req));
    const good = request(c.callerId());
    const signed = sign(good);

    expect(codeOf(() => n.verifyRequest({ protocol: PROTOCOL.secureRequest, request: signed.request }, good))).toBe('unsigned');
    const tampered = { ...signed, request: signed.request.replace('"ping"', '"inventory"') };
    expect(codeOf(() => n.verifyRequest(tampered, JSON.parse(tampered.request) as RequestEnvelope))).toBe('bad_signature');
    const liar = request('cert=someone.else.troupe');
    expect(codeOf(() => n.verifyRequest(sign(liar), liar))).toBe('caller_mismatch');
    const stale = request(c.callerId(), { time: Date.now() - 120_000 });
    expect(codeOf(() => n.verifyRequest(sign(stale), stale))).toBe('ttl_expired');
    const future = request(c.callerId(), { time: Date.now() + 30_000 });
    expect(codeOf(() => n.verifyRequest(sign(future), future))).toBe('future_message');
    expect(codeOf(() => n.verifyRequest(signed, good))).toBe('accepted');
    // Not yet run, so not yet a replay: the id is recorded only when the node admits the request to run.
    expect(codeOf(() => n.verifyRequest(signed, good))).toBe('accepted');
    n.admitRequest(good, c.callerId());
    expect(codeOf(() => n.verifyRequest(signed, good))).toBe('replay');
  });

  it('honours a TTL no longer than its max_ttl, and keeps the id only that long', () => {
    const c = client(opsEd);
    let now = Date.now();
    const replay = new ReplayCache({ now: 0 });
    const n = node({ replay, age: { maxTtlMs: 300_000, clockSkewMs: 10_000 }, now: () => now });
    const old = request(c.callerId(), { ttl: 86_400, time: now - 23 * 3_600_000 });
    expect(codeOf(() => n.verifyRequest(c.wrapRequest(JSON.stringify(old)), old))).toBe('ttl_expired');
    const day = request(c.callerId(), { ttl: 86_400, time: now });
    const signed = c.wrapRequest(JSON.stringify(day));
    n.verifyRequest(signed, day);
    n.admitRequest(day, c.callerId());
    now += 299_000;
    expect(codeOf(() => n.verifyRequest(signed, day))).toBe('replay');
    now += 2_000;
    expect(codeOf(() => n.verifyRequest(signed, day))).toBe('ttl_expired');
  });

  it('refuses a request dated before its replay record began', () => {
    const c = client(opsEd);
    const req = request(c.callerId(), { time: Date.now() - 5_000 });
    const n = node({ replay: new ReplayCache() });
    expect(codeOf(() => n.verifyRequest(c.wrapRequest(JSON.stringify(req)), req))).toBe('before_start');
  });

  it('accepts requests a little in the future (clock skew)', () => {
    const c = client(opsEd);
    const req = request(c.callerId(), { time: Date.now() + 5_000 });
    expect(codeOf(() => node().verifyRequest(c.wrapRequest(JSON.stringify(req)), req))).toBe('accepted');
  });

  it('refuses certificates that may not act as clients: name pattern, key usage', () => {
    const nodeAsClient = client(ca.issue('node2.example.net', { profile: 'node' }));
    const req = request(nodeAsClient.callerId());
    expect(codeOf(() => node().verifyRequest(nodeAsClient.wrapRequest(JSON.stringify(req)), req))).toBe('not_a_client');
    const serverOnly = client(ca.issue('web.troupe', { profile: 'server' }));
    const req2 = request(serverOnly.callerId());
    expect(codeOf(() => node().verifyRequest(serverOnly.wrapRequest(JSON.stringify(req2)), req2))).toBe('not_a_client');
    expect(
      codeOf(() =>
        node({ requireClientKeyUsage: false, requireOperatorRole: false }).verifyRequest(
          serverOnly.wrapRequest(JSON.stringify(req2)),
          req2,
        ),
      ),
    ).toBe('accepted');
  });

  it('takes requests only from operator certificates, whatever the name', () => {
    // A node certificate whose name matches the client pattern and whose key usage allows client use.
    const lookalike = client(ca.issue('web-1.troupe', { profile: 'node' }));
    const req = request(lookalike.callerId());
    const secure = lookalike.wrapRequest(JSON.stringify(req));
    expect(codeOf(() => node().verifyRequest(secure, req))).toBe('not_a_client');
    expect(codeOf(() => node({ requireOperatorRole: false }).verifyRequest(secure, req))).toBe('accepted');
  });

  it('a client without a certificate explains how to get one', () => {
    expect(() => new PkiProvider({ trust: trust() }).callerId()).toThrow(/mco enroll/);
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(
      () => new PkiProvider({ trust: trust(), identity: { certificatePem: opsRsa.certificatePem, privateKey: opsEd.privateKey } }),
    ).toThrow(/does not belong/);
  });
});

describe('PkiProvider replies', () => {
  const replyText = (sender: string) =>
    JSON.stringify({
      protocol: 'troupe:reply:1',
      request_id: 'a'.repeat(32),
      sender,
      agent: 'rpcutil',
      action: 'ping',
      time: Date.now(),
      message: { statuscode: 0, statusmsg: 'OK', data: {} },
    });

  it('nodes sign replies and clients verify them', () => {
    const secure = node().wrapReply(replyText('node1.example.net'));
    expect(secure.signature).toBeTruthy();
    expect(codeOf(() => client(opsRsa).verifyReply(secure))).toBe('accepted');
  });

  it('detects a changed reply, a reply claiming another sender, and an unsigned one', () => {
    const c = client(opsRsa);
    const secure = node().wrapReply(replyText('node1.example.net'));
    const changed = secure.reply.replace('"OK"', '"KO"');
    expect(codeOf(() => c.verifyReply({ ...secure, reply: changed }))).toBe('reply_hash_mismatch');
    expect(codeOf(() => c.verifyReply({ ...secure, reply: changed, hash: sha256Hex(changed) }))).toBe('bad_reply_signature');
    const impostor = node().wrapReply(replyText('node9.example.net'));
    expect(codeOf(() => c.verifyReply(impostor))).toBe('reply_sender_mismatch');
    const bare = { protocol: secure.protocol, reply: secure.reply, hash: secure.hash };
    expect(codeOf(() => c.verifyReply(bare))).toBe('unsigned_reply');
    const lenient = new PkiProvider({ trust: trust(), signReplies: false });
    expect(codeOf(() => lenient.verifyReply(bare))).toBe('accepted');
  });
});
