// Certificates, requests and CRLs made by troupe are read the same way by OpenSSL, and by troupe's own readers.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/security/pki/keys.js';
import { pemBlocks } from '../../../src/security/pki/pem.js';
import { buildCsr } from '../../../src/security/pki/x509.js';
import { parseCrl, parseCsr, verifyCrl } from '../../../src/security/pki/x509-read.js';
import { parseCertificate, publicKeyOf } from '../../../src/security/pki/certificate.js';
import { testCa } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-x509-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe.each([['rsa'], ['ed25519']] as const)('a %s CA', (caType) => {
  const ca = testCa(`CA ${caType}`, caType);

  it.each([['rsa'], ['ed25519']] as const)('issues %s leaf certificates that OpenSSL verifies', (leafType) => {
    const leaf = ca.issue(`web1.${leafType}`, { keyType: leafType, altNames: ['web1.example.net', '127.0.0.1'] });
    expect(
      openssl('verify', '-CAfile', file(`ca-${caType}.pem`, ca.pem), file(`leaf-${caType}-${leafType}.pem`, leaf.certificatePem)),
    ).toContain('OK');
    const x = new X509Certificate(leaf.certificatePem);
    expect(x.subject).toBe(`CN=web1.${leafType}`);
    expect(x.subjectAltName).toBe('DNS:web1.example.net, IP Address:127.0.0.1');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.ca).toBe(false);
  });

  it('makes CRLs that OpenSSL accepts and troupe reads back', () => {
    const crl = ca.crl([
      { serial: '0A1B', revokedAt: new Date() },
      { serial: 'ff01', revokedAt: new Date() },
    ]);
    expect(openssl('crl', '-in', file(`crl-${caType}.pem`, crl), '-CAfile', file(`ca2-${caType}.pem`, ca.pem), '-noout')).toBe('');
    const parsed = parseCrl(pemBlocks(crl, 'X509 CRL')[0]!.der);
    expect([...parsed.revoked].sort()).toEqual(['a1b', 'ff01']);
    expect(verifyCrl(parsed, new X509Certificate(ca.pem))).toBe(true);
    expect(verifyCrl(parsed, new X509Certificate(testCa('Other').pem))).toBe(false);
  });
});

describe('certificate signing requests', () => {
  it.each([['rsa'], ['ed25519']] as const)('a %s request verifies with OpenSSL and parses back', (type) => {
    const { privateKey } = generateKeyPair(type);
    const csr = buildCsr('node7.example.net', privateKey);
    expect(openssl('req', '-in', file(`req-${type}.pem`, csr), '-verify', '-noout')).toBe('');
    expect(parseCsr(csr).commonName).toBe('node7.example.net');
  });

  it('refuses a request whose signature does not match (name changed after signing)', () => {
    const csr = buildCsr('aaaaa.example.net', generateKeyPair('ed25519').privateKey);
    const der = pemBlocks(csr)[0]!.der;
    const at = der.indexOf(Buffer.from('aaaaa'));
    der.write('bbbbb', at, 'latin1');
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => parseCsr(forged)).toThrow(/signature/);
  });

  it('reads a request made by OpenSSL', () => {
    const key = file('ossl.key', generateKeyPair('rsa').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const csr = openssl('req', '-new', '-key', key, '-subj', '/CN=legacy.example.net', '-sha256');
    expect(parseCsr(csr).commonName).toBe('legacy.example.net');
  });
});

describe('the fast certificate reader', () => {
  it('agrees with X509Certificate on names, serials, dates, usages and keys', () => {
    const ca = testCa();
    for (const type of ['rsa', 'ed25519'] as const) {
      const leaf = ca.issue('agree.example.net', { keyType: type, profile: 'client', serial: '00ab12' });
      const x = new X509Certificate(leaf.certificatePem);
      const p = parseCertificate(x.raw);
      expect(p.commonName).toBe('agree.example.net');
      expect(p.serial).toBe('ab12');
      expect(p.notBefore).toBe(Date.parse(x.validFrom));
      expect(p.notAfter).toBe(Date.parse(x.validTo));
      expect(p.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(p.isCa).toBe(false);
      expect(p.digitalSignature).toBe(true);
      expect(
        publicKeyOf(p)
          .export({ type: 'spki', format: 'der' })
          .equals(x.publicKey.export({ type: 'spki', format: 'der' })),
      ).toBe(true);
    }
    expect(parseCertificate(new X509Certificate(ca.pem).raw).isCa).toBe(true);
  });

  it('flags unknown critical extensions in certificates made by OpenSSL', () => {
    const key = file('c.key', generateKeyPair('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const pem = openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      '/CN=odd',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      '1.2.3.4=critical,ASN1:UTF8String:x',
    );
    const parsed = parseCertificate(new X509Certificate(pem).raw);
    expect(parsed.commonName).toBe('odd');
    expect(parsed.unknownCritical).toBe('1.2.3.4');
  });
});
