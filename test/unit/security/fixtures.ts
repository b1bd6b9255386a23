// A small CA in memory for unit tests: issue leaf certificates with chosen keys, profiles and dates.
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { generateKeyPair, privateKeyToPem, type KeyType } from '../../../src/security/pki/keys.js';
import { buildCrl, issueCertificate, selfSignedCa, type CertificateProfile, type CrlEntry } from '../../../src/security/pki/x509.js';

export const DAY = 86_400_000;

export interface TestCa {
  pem: string;
  key: KeyObject;
  issue(
    name: string,
    opts?: { keyType?: KeyType; profile?: CertificateProfile; notBefore?: number; notAfter?: number; serial?: string; altNames?: string[] },
  ): TestLeaf;
  crl(entries: CrlEntry[]): string;
}

export interface TestLeaf {
  name: string;
  certificatePem: string;
  privateKey: KeyObject;
  keyPem: string;
}

/** A CA; with `parent`, an intermediate CA issued by it. */
export function testCa(name = 'Test CA', keyType: KeyType = 'rsa', parent?: TestCa): TestCa {
  const pair = generateKeyPair(keyType);
  const now = Date.now();
  const pem = parent
    ? issueCertificate(
        { commonName: name, publicKey: pair.publicKey, profile: 'ca', notBefore: new Date(now - DAY), notAfter: new Date(now + 300 * DAY) },
        { certificatePem: parent.pem, privateKey: parent.key },
      )
    : selfSignedCa(name, pair, new Date(now - DAY), new Date(now + 365 * DAY));
  const issuer = { certificatePem: pem, privateKey: pair.privateKey };
  return {
    pem,
    key: pair.privateKey,
    issue(leafName, opts = {}) {
      const leaf = generateKeyPair(opts.keyType ?? 'ed25519');
      const certificatePem = issueCertificate(
        {
          commonName: leafName,
          publicKey: leaf.publicKey,
          profile: opts.profile ?? 'node',
          notBefore: new Date(opts.notBefore ?? now - DAY),
          notAfter: new Date(opts.notAfter ?? now + 30 * DAY),
          serial: opts.serial,
          altNames: opts.altNames,
        },
        issuer,
      );
      return { name: leafName, certificatePem, privateKey: leaf.privateKey, keyPem: privateKeyToPem(leaf.privateKey) };
    },
    crl: (entries) => buildCrl(issuer, entries, 1, new Date(now - 60_000), new Date(now + 30 * DAY)),
  };
}

/** A leaf certificate signed by an RSA CA with SHA-1 (forge can still make them; nothing should accept them). */
export function sha1Leaf(ca: TestCa, name: string): string {
  const leaf = generateKeyPair('rsa');
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + DAY);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(forge.pki.certificateFromPem(ca.pem).subject.attributes);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyToPem(ca.key)), forge.md.sha1.create());
  return forge.pki.certificateToPem(cert);
}
