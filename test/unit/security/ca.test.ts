// The certificate authority on disk: strict modes, requests, signing, revocation, autosign.
import { statSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../../src/security/ca/authority.js';
import { CAError } from '../../../src/security/ca/errors.js';
import { codeOf } from '../../helpers/errors.js';
import { autosignEntryMatches, parseAutosign } from '../../../src/security/ca/autosign.js';
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
const caCode = (fn: () => unknown) => codeOf(CAError, fn, 'ok');

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
    expect(ca.submit(csr('web1.example.net'), 'web1.example.net')).toMatchObject({
      state: 'requested',
      fingerprint: expect.stringMatching(/:/) as string,
    });
    ca.submit(csr('web2.example.net'));
    expect(ca.pending().map((p) => p.name)).toEqual(['web1.example.net', 'web2.example.net']);
    expect(ca.certificate('web1.example.net')).toBeUndefined();
    const pem = ca.sign('web1.example.net');
    expect(ca.certificate('web1.example.net')).toBe(pem);
    expect(ca.pending().map((p) => p.name)).toEqual(['web2.example.net']);
    expect(ca.signAll()).toEqual({ signed: ['web2.example.net'], skipped: [] });

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
    expect(caCode(() => ca.submit(csr('x'.repeat(201))))).toBe('bad_name');
    expect(caCode(() => ca.submit(csr('x'.repeat(200))))).toBe('ok');
  });

  it('does not sign a revoked name again until it is cleaned', () => {
    const ca = CertificateAuthority.init(dir, { keyType: 'ed25519' });
    ca.submit(csr('dup.example.net'));
    ca.sign('dup.example.net');
    ca.revoke('dup.example.net');
    expect(caCode(() => ca.submit(csr('dup.example.net')))).toBe('revoked');
    expect(caCode(() => ca.generate('dup.example.net'))).toBe('revoked');
    expect(ca.clean('dup.example.net')).toEqual({ revokedSerial: undefined, removed: ['certificate'] });
    expect(ca.submit(csr('dup.example.net')).state).toBe('requested');
    ca.sign('dup.example.net');
    // Cleaning a valid certificate revokes it first.
    const serial = ca.status('dup.example.net')!.serial;
    expect(ca.clean('dup.example.net')).toEqual({ revokedSerial: serial, removed: ['certificate'] });
    expect(readFileSync(join(dir, 'revoked.txt'), 'utf8')).toContain(serial!);
    expect(caCode(() => ca.clean('dup.example.net'))).toBe('not_signed');
  });

  it('refuses RSA keys under 2048 bits in requests (SHA-1 and other curves: see the CA service test)', () => {
    const ca = CertificateAuthority.init(dir, { keyType: 'ed25519' });
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(caCode(() => ca.submit(buildCsr('weak.example.net', rsa1024)))).toBe('weak_key');
    expect(ca.pending()).toEqual([]);
  });

  it('signs EC P-256 and P-384 requests', () => {
    const ca = CertificateAuthority.init(dir);
    for (const [name, curve] of [
      ['p256.example.net', 'prime256v1'],
      ['p384.example.net', 'secp384r1'],
    ] as const) {
      ca.submit(buildCsr(name, generateKeyPairSync('ec', { namedCurve: curve }).privateKey));
      const x = new X509Certificate(ca.sign(name));
      expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
      expect(new TrustStore({ caPem: ca.certificatePem, maxCertificateSize: 8192 }).verify(x.toString()).commonName).toBe(name);
    }
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
    writeFileSync(join(dir, 'autosign.conf'), '# nodes of the lab\n*.lab.example.com\nweb-*\nweb-??.example.com\nexact.example.com\n');
    expect(ca.submit(csr('db1.lab.example.com'))).toMatchObject({ state: 'signed', autosigned: '*.lab.example.com' });
    expect(ca.submit(csr('a.b.lab.example.com'))).toMatchObject({ state: 'signed', autosigned: '*.lab.example.com' });
    expect(ca.submit(csr('exact.example.com'))).toMatchObject({ state: 'signed', autosigned: 'exact.example.com' });
    expect(ca.submit(csr('web-07.example.com')).state).toBe('requested');
    expect(ca.submit(csr('lab.example.com')).state).toBe('requested');
    expect(warnings.filter((w) => w.startsWith('autosigned'))).toHaveLength(3);
    expect(warnings.filter((w) => w.includes("'web-*' is neither a name nor"))).not.toHaveLength(0);
    expect(readFileSync(join(dir, 'inventory.txt'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('never autosigns nor signs with --all a name that would act as an operator, and signs it explicitly as one', () => {
    const ca = CertificateAuthority.open(CertificateAuthority.init(dir, { keyType: 'ed25519' }).dir, { log });
    writeFileSync(join(dir, 'autosign.conf'), '*\n');
    expect(ca.submit(csr('web-1.mcollective')).state).toBe('requested');
    expect(ca.submit(csr('admin.troupe')).state).toBe('requested');
    expect(ca.submit(csr('node9.example.net')).state).toBe('signed');
    const all = ca.signAll();
    expect(all.signed).toEqual([]);
    expect(all.skipped.map((s) => s.name)).toEqual(['admin.troupe', 'web-1.mcollective']);
    const trust = new TrustStore({ caPem: ca.certificatePem, maxCertificateSize: 8192 });
    expect(trust.verify(ca.certificate('node9.example.net')!).operator).toBe(false);
    expect(trust.verify(ca.sign('admin.troupe')).operator).toBe(true);
    expect(ca.status('admin.troupe')).toMatchObject({ state: 'signed', operator: true });
    expect(ca.status('node9.example.net')).toMatchObject({ state: 'signed', operator: false });
    expect(trust.verify(ca.generate('backup.troupe').certificatePem).operator).toBe(true);
    expect(trust.verify(ca.generate('node10.example.net').certificatePem).operator).toBe(false);
  });

  it('with an empty client pattern every name counts as an operator: nothing is autosigned', () => {
    const ca = CertificateAuthority.open(CertificateAuthority.init(dir, { keyType: 'ed25519' }).dir, { log, operatorPattern: null });
    writeFileSync(join(dir, 'autosign.conf'), '*.example.net\n');
    expect(ca.submit(csr('node9.example.net')).state).toBe('requested');
    expect(ca.signAll().signed).toEqual([]);
  });

  it('caps the pending requests', () => {
    const ca = CertificateAuthority.open(CertificateAuthority.init(dir, { keyType: 'ed25519' }).dir, { maxPending: 2 });
    ca.submit(csr('a.example.net'));
    ca.submit(csr('b.example.net'));
    expect(caCode(() => ca.submit(csr('c.example.net')))).toBe('too_many_requests');
    ca.sign('a.example.net');
    expect(ca.submit(csr('c.example.net')).state).toBe('requested');
  });
});

describe('autosign.conf entries (Puppet rules)', () => {
  it('takes names and leftmost-label globs, ignores comments, and sets other globs aside', () => {
    expect(parseAutosign('a.example.com # one\n\n  # only comment\n*.b.example.com\nweb-*\nweb-??.x\n*\n')).toEqual({
      entries: ['a.example.com', '*.b.example.com', '*'],
      invalid: ['web-*', 'web-??.x'],
    });
  });

  it.each([
    ['*.example.com', 'x.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'xexample.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'x.example.com.evil.org', false],
    ['web1.example.com', 'web1.example.com', true],
    ['web1.example.com', 'web10.example.com', false],
    ['*', 'anything', true],
  ])('%s matching %s: %s', (entry, name, expected) => {
    expect(autosignEntryMatches(entry, name)).toBe(expected);
  });
});
