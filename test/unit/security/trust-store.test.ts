// Which certificates a node or client accepts with a message, and why it refuses the others.
import { describe, expect, it } from 'vitest';
import { SecurityError } from '../../../src/security/provider.js';
import { TrustStore } from '../../../src/security/trust/trust-store.js';
import { DAY, testCa } from './fixtures.js';

const ca = testCa();
const store = (now = Date.now, caPem = ca.pem) => new TrustStore({ caPem, maxCertificateSize: 8192, now });
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecurityError) return err.code;
    throw err;
  }
  return 'accepted';
};

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
    ['oversized_certificate', () => ca.issue('big', { altNames: Array.from({ length: 400 }, (_, i) => `alias-${i}.example.net`) }).certificatePem],
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

  it('trusts every CA in a bundle and reads a CRL file holding several CRLs', () => {
    const second = testCa('Second CA');
    const s = store(Date.now, ca.pem + second.pem);
    const a = ca.issue('a.troupe', { serial: '11' });
    const b = second.issue('b.troupe', { serial: '11' });
    s.loadCrl(ca.crl([]) + second.crl([{ serial: '11', revokedAt: new Date() }]));
    expect(codeOf(() => s.verify(a.certificatePem))).toBe('accepted');
    expect(codeOf(() => s.verify(b.certificatePem))).toBe('revoked_certificate');
  });
});
