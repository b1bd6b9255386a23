// Which certificates a node or client accepts with a message, and why it refuses the others.
import { describe, expect, it } from 'vitest';
import { SecurityError } from '../../../src/security/provider.js';
import { codeOf as errorCode } from '../../helpers/errors.js';
import { TrustStore } from '../../../src/security/trust/trust-store.js';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { issueCertificate } from '../../../src/security/pki/x509.js';
import { DAY, sha1Leaf, testCa } from './fixtures.js';

const ca = testCa();
const store = (now = Date.now, caPem = ca.pem) => new TrustStore({ caPem, maxCertificateSize: 8192, now });
const codeOf = (fn: () => unknown) => errorCode(SecurityError, fn);

describe('TrustStore', () => {
  it('accepts a certificate of its CA and names its holder', () => {
    const leaf = ca.issue('ops.troupe', { profile: 'client' });
    const cert = store().verify(leaf.certificatePem);
    expect(cert.commonName).toBe('ops.troupe');
    expect(cert.clientAuth).toBe(true);
  });

  it('tells server-only certificates from client ones by extended key usage', () => {
    expect(store().verify(ca.issue('srv', { profile: 'server' }).certificatePem).clientAuth).toBe(false);
  });

  it.each([
    ['malformed_certificate', () => '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n'],
    ['malformed_certificate', () => 'just text'],
    [
      'oversized_certificate',
      () => ca.issue('big', { altNames: Array.from({ length: 400 }, (_, i) => `alias-${i}.example.net`) }).certificatePem,
    ],
    ['untrusted_certificate', () => testCa('Other CA').issue('intruder.troupe').certificatePem],
    ['untrusted_certificate', () => ca.pem],
    ['expired_certificate', () => ca.issue('old', { notBefore: Date.now() - 10 * DAY, notAfter: Date.now() - DAY }).certificatePem],
    ['expired_certificate', () => ca.issue('early', { notBefore: Date.now() + DAY, notAfter: Date.now() + 10 * DAY }).certificatePem],
  ])('refuses with %s', (code, make) => {
    expect(codeOf(() => store().verify(make()))).toBe(code);
  });

  it('checks dates on every use, not only the first', () => {
    let now = Date.now();
    const s = store(() => now);
    const leaf = ca.issue('soon', { notAfter: now + 60_000 });
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('accepted');
    now += 120_000;
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('expired_certificate');
  });

  it('refuses revoked certificates once a CRL lists them, and only CRLs signed by the CA count', () => {
    const s = store();
    const leaf = ca.issue('gone', { serial: '7f0001' });
    const other = ca.issue('stays');
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('accepted');
    expect(() => s.loadCrl(testCa('Forger').crl([{ serial: '7f0001', revokedAt: new Date() }]))).toThrow(SecurityError);
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('accepted');
    s.loadCrl(ca.crl([{ serial: '7f0001', revokedAt: new Date() }]));
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('revoked_certificate');
    expect(codeOf(() => s.verify(other.certificatePem))).toBe('accepted');
    expect(s.crlStatus().revoked).toBe(1);
  });

  it('trusts one CA only: a second, unrelated CA in the file is refused, never an anchor', () => {
    const rogue = testCa('Rogue CA');
    for (const pem of [ca.pem + rogue.pem, rogue.pem + ca.pem]) {
      expect(() => store(Date.now, pem)).toThrow(expect.objectContaining({ code: 'bad_ca' }));
    }
    const leaf = ca.issue('a.troupe');
    expect(() => store(Date.now, ca.issue('not-a-ca').certificatePem)).toThrow(/not a CA certificate/);
    expect(codeOf(() => store().verify(leaf.certificatePem))).toBe('accepted');
  });

  it('takes a chain (an intermediate CA and its root, as Puppet ca.pem): only the intermediate issues, each CA signs its CRL', () => {
    const root = testCa('Root CA');
    const intermediate = testCa('Intermediate CA', 'rsa', root);
    for (const pem of [intermediate.pem + root.pem, root.pem + intermediate.pem]) {
      const s = store(Date.now, pem);
      const a = intermediate.issue('a.troupe', { serial: '11' });
      const b = intermediate.issue('b.troupe', { serial: '12' });
      expect(codeOf(() => s.verify(root.issue('from-root.troupe').certificatePem))).toBe('untrusted_certificate');
      s.loadCrl(root.crl([]) + intermediate.crl([{ serial: '11', revokedAt: new Date() }]));
      expect(codeOf(() => s.verify(a.certificatePem))).toBe('revoked_certificate');
      expect(codeOf(() => s.verify(b.certificatePem))).toBe('accepted');
    }
    const other = testCa('Other root');
    expect(() => store(Date.now, intermediate.pem + other.pem)).toThrow(expect.objectContaining({ code: 'bad_ca' }));
    expect(() => store(Date.now, intermediate.pem)).not.toThrow();
  });

  it('refuses everything once the root revokes the intermediate CA', () => {
    const root = testCa('Root CA');
    const intermediate = testCa('Intermediate CA', 'rsa', root);
    const s = store(Date.now, intermediate.pem + root.pem);
    const leaf = intermediate.issue('a.troupe');
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('accepted');
    const serial = new X509Certificate(intermediate.pem).serialNumber;
    s.loadCrl(root.crl([{ serial, revokedAt: new Date() }]));
    expect(codeOf(() => s.verify(leaf.certificatePem))).toBe('revoked_certificate');
  });

  it('refuses SHA-1 signed certificates and RSA keys under 2048 bits', () => {
    expect(codeOf(() => store().verify(sha1Leaf(ca, 'old.troupe')))).toBe('weak_certificate');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const now = Date.now();
    const pem = issueCertificate(
      { commonName: 'small.troupe', publicKey: small, profile: 'client', notBefore: new Date(now - DAY), notAfter: new Date(now + DAY) },
      { certificatePem: ca.pem, privateKey: ca.key },
    );
    expect(codeOf(() => store().verify(pem))).toBe('weak_certificate');
  });
});
