// The certificate authority on disk: strict modes, requests, signing, revocation, autosign.
import { statSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../../src/security/ca/authority.js';
import { CAError } from '../../../src/security/ca/errors.js';
import { globToRegExp, parseAutosign } from '../../../src/security/ca/autosign.js';
import { generateKeyPair } from '../../../src/security/pki/keys.js';
import { buildCsr } from '../../../src/security/pki/x509.js';
import { TrustStore } from '../../../src/security/trust/trust-store.js';

let parent: string;
let dir: string;
const warnings: string[] = [];
const log = { info() {}, error() {}, warn: (_: object, msg: string) => warnings.push(msg) };
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'troupe-ca-'));
  dir = join(parent, 'ca');
  warnings.length = 0;
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;
const csr = (name: string) => buildCsr(name, generateKeyPair('ed25519').privateKey);
const caCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CAError) return err.code;
    throw err;
  }
  return 'ok';
};

describe('CertificateAuthority', () => {
  it('init creates key, certificate and empty CRL with strict permissions, and refuses to overwrite', () => {
    const ca = CertificateAuthority.init(dir, { keyType: 'ed25519' });
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'ca_key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'ca_crt.pem'))).toBe(0o644);
    expect(new X509Certificate(ca.certificatePem).ca).toBe(true);
    const trust = new TrustStore({ caPem: ca.certificatePem, maxCertificateSize: 8192 });
    trust.loadCrl(ca.crlPem());
    expect(trust.crlStatus().revoked).toBe(0);
    expect(ca.caFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(caCode(() => CertificateAuthority.init(dir))).toBe('ca_exists');
  });

  it('keeps requests pending until signed, lists them with fingerprints, and revokes into the CRL', () => {
    const ca = CertificateAuthority.init(dir, { keyType: 'ed25519' });
    expect(ca.submit(csr('web1.example.net'), 'web1.example.net')).toMatchObject({ state: 'requested', fingerprint: expect.stringMatching(/:/) });
    ca.submit(csr('web2.example.net'));
    expect(ca.pending().map((p) => p.name)).toEqual(['web1.example.net', 'web2.example.net']);
    expect(ca.certificate('web1.example.net')).toBeUndefined();
    const pem = ca.sign('web1.example.net');
    expect(ca.certificate('web1.example.net')).toBe(pem);
    expect(ca.pending().map((p) => p.name)).toEqual(['web2.example.net']);
    expect(ca.signAll()).toEqual(['web2.example.net']);

    const serial = ca.revoke('web1.example.net');
    const trust = new TrustStore({ caPem: ca.certificatePem, maxCertificateSize: 8192 });
    trust.loadCrl(ca.crlPem());
    expect(() => trust.verify(pem)).toThrow(/revoked/);
    expect(trust.verify(ca.certificate('web2.example.net')!).commonName).toBe('web2.example.net');
    expect(ca.all().map((s) => [s.name, s.state, s.serial === serial || s.name !== 'web1.example.net'])).toEqual([
      ['web1.example.net', 'revoked', true],
      ['web2.example.net', 'signed', true],
    ]);
    expect(caCode(() => ca.revoke('web1.example.net'))).toBe('already_revoked');
  });

  it('refuses bad names, mismatched names, duplicates and garbage', () => {
    const ca = CertificateAuthority.init(dir, { keyType: 'ed25519' });
    expect(caCode(() => ca.submit(csr('../etc/passwd')))).toBe('bad_name');
    expect(caCode(() => ca.submit(csr('Upper.Case')))).toBe('bad_name');
    expect(caCode(() => ca.submit(csr('ca')))).toBe('bad_name');
    expect(caCode(() => ca.submit(csr('a.example.net'), 'b.example.net'))).toBe('bad_request');
    expect(caCode(() => ca.submit('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'))).toBe('bad_request');
    const first = csr('dup.example.net');
    ca.submit(first);
    expect(caCode(() => ca.submit(first))).toBe('ok');
    expect(caCode(() => ca.submit(csr('dup.example.net')))).toBe('request_exists');
    ca.sign('dup.example.net');
    expect(caCode(() => ca.submit(csr('dup.example.net')))).toBe('already_signed');
    expect(caCode(() => ca.sign('nobody.example.net'))).toBe('no_request');
    ca.revoke('dup.example.net');
    expect(ca.submit(csr('dup.example.net')).state).toBe('requested');
  });

  it('generate issues a key and certificate at once', () => {
    const ca = CertificateAuthority.init(dir);
    const issued = ca.generate('ops.troupe', { keyType: 'rsa', profile: 'client' });
    const x = new X509Certificate(issued.certificatePem);
    expect(x.subject).toBe('CN=ops.troupe');
    expect(x.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(ca.status('ops.troupe')?.state).toBe('signed');
    expect(issued.keyPem).toContain('PRIVATE KEY');
  });

  it('autosigns only names matching autosign.conf, and warns when it does', () => {
    const ca = CertificateAuthority.open(CertificateAuthority.init(dir, { keyType: 'ed25519' }).dir, { log });
    expect(ca.submit(csr('web1.example.com')).state).toBe('requested');
    writeFileSync(join(dir, 'autosign.conf'), '# nodes of the lab\n*.lab.example.com\nweb-??.example.com\n');
    expect(ca.submit(csr('db1.lab.example.com'))).toMatchObject({ state: 'signed', autosigned: '*.lab.example.com' });
    expect(ca.submit(csr('web-07.example.com'))).toMatchObject({ state: 'signed', autosigned: 'web-??.example.com' });
    expect(ca.submit(csr('web-007.example.com')).state).toBe('requested');
    expect(ca.submit(csr('lab.example.com')).state).toBe('requested');
    expect(warnings.filter((w) => w.startsWith('autosigned'))).toHaveLength(2);
    expect(readFileSync(join(dir, 'inventory.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('autosign globs', () => {
  it('anchors patterns, escapes dots and ignores comments', () => {
    expect(parseAutosign('a.example.com # one\n\n  # only comment\n*.b.example.com\n')).toEqual(['a.example.com', '*.b.example.com']);
    expect(globToRegExp('*.example.com').test('x.example.com')).toBe(true);
    expect(globToRegExp('*.example.com').test('xexample.com')).toBe(false);
    expect(globToRegExp('*.example.com').test('x.example.com.evil.org')).toBe(false);
  });
});
