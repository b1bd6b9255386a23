// A client certificate re-wrapped around its untouched, CA-signed TBSCertificate (an element appended after the
// signature, or the signature's unused-bits byte changed) is not the certificate the CA issued: OpenSSL refuses
// it, and so must a real node daemon, though the CA's signature over the TBS still checks.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';
import { pemBlocks, toPem } from '../../../src/security/pki/pem.js';
import { tlv } from '../../../src/devkit/fuzz/mutate.js';
import { children, readTlv } from '../../../src/security/pki/der.js';
import { credentialsFrom, envelope, sign, type Credentials, type Injector } from './craft.js';
import { logLines, startPkiNode, type PkiNode } from './daemon.js';
import { waitFor } from '../../helpers/wait.js';

const NODE = 'node1.example.net';
let pki: DevPki;
let node: PkiNode | undefined;
let injector: Injector;
let logFile: string;
let ops: Credentials;

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: ['ops.troupe'] });
  node = await startPkiNode(pki, NODE, { prefix: 'troupe-malleable-' });
  ({ logFile, injector } = node);
  ops = credentialsFrom(pki.certPath('ops.troupe'), pki.keyPath('ops.troupe'));
}, 60_000);

afterAll(async () => {
  await node?.stop();
  pki?.cleanup();
});

/** The certificate's three parts, re-assembled by `build`. */
function rewrap(pem: string, build: (tbs: Buffer, algorithm: Buffer, signature: Buffer) => Uint8Array): string {
  const der = pemBlocks(pem, 'CERTIFICATE')[0]!.der;
  const [tbs, algorithm, signature] = children(der, readTlv(der, 0)).map((t) => der.subarray(t.start, t.end));
  return toPem(build(tbs!, algorithm!, signature!), 'CERTIFICATE');
}

const withTrailingElement = (pem: string) => rewrap(pem, (tbs, alg, sig) => tlv(0x30, tbs, alg, sig, tlv(0x05)));
const withUnusedBits = (pem: string) =>
  rewrap(pem, (tbs, alg, sig) =>
    tlv(0x30, tbs, alg, tlv(0x03, Uint8Array.of(7), sig.subarray(sig[1]! & 0x80 ? 2 + (sig[1]! & 0x7f) + 1 : 3))),
  );

describe('a node daemon reading the certificate sent with a request', () => {
  it.each([
    ['an element appended after the signature', withTrailingElement],
    ['a signature BIT STRING claiming unused bits', withUnusedBits],
  ])('refuses a certificate with %s, as OpenSSL does', async (_what, malleate) => {
    const forged = malleate(ops.cert);
    const ca = new X509Certificate(pki.ca.certificatePem);
    let opensslAccepts: boolean;
    try {
      opensslAccepts = new X509Certificate(forged).verify(ca.publicKey);
    } catch {
      opensslAccepts = false;
    }
    expect(opensslAccepts).toBe(false);

    const refused = () => logLines(logFile).filter((l) => JSON.stringify(l).includes('malformed_certificate')).length;
    const before = refused();
    expect(await injector.send(sign(JSON.stringify(envelope('cert=ops.troupe')), { cert: forged, key: ops.key }))).toEqual([]);
    // The log is written behind the reply path: wait for the line rather than reading it at once.
    await waitFor('the refusal in the daemon log', () => refused() > before, 10_000, 25);
    expect(refused()).toBe(before + 1);
    // The certificate as issued still works.
    expect(await injector.send(sign(JSON.stringify(envelope('cert=ops.troupe')), ops))).toHaveLength(1);
  });
});
