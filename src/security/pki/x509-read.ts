// Reading X.509 structures without node-forge (which costs ~100 ms to load): enough to verify
// certificate signing requests and CRLs from any CA (troupe's, Puppet's, OpenSSL's) and to look inside
// certificates. Signatures are checked over the exact signed bytes, sliced from the DER.
import { createHash, createPublicKey, verify, type KeyObject, type X509Certificate } from 'node:crypto';
import { children, readTlv, signedParts, DerError, type Tlv } from './der.js';
import { singlePem } from './pem.js';

export const OID = {
  commonName: '2.5.4.3',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
  crlNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

/**
 * The operator marker: Puppet's pp_auth_role extension (ppAuthCertExt arc) with this value. A Puppet CA signs
 * authorization extensions only when explicitly allowed and never on autosign, the guarantee an operator
 * marker needs; troupe's CA sets it only when an operator signs or generates an operator name.
 */
export const OPERATOR_ROLE_OID = '1.3.6.1.4.1.34380.1.3.13';
export const OPERATOR_ROLE = 'troupe-operator';

/** Signature algorithms accepted when verifying requests, certificates and CRLs made elsewhere (Puppet, OpenSSL). SHA-1 is not among them. */
const VERIFY_ALGORITHMS: Record<string, { digest: string | null; key: string }> = {
  '1.2.840.113549.1.1.11': { digest: 'sha256', key: 'rsa' },
  '1.2.840.113549.1.1.12': { digest: 'sha384', key: 'rsa' },
  '1.2.840.113549.1.1.13': { digest: 'sha512', key: 'rsa' },
  '1.2.840.10045.4.3.2': { digest: 'sha256', key: 'ec' },
  '1.2.840.10045.4.3.3': { digest: 'sha384', key: 'ec' },
  '1.3.101.112': { digest: null, key: 'ed25519' },
};

/** SHA-1 based signature algorithms (RSA, ECDSA, DSA): collisions are practical, so they are refused everywhere. */
const SHA1_ALGORITHMS = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10040.4.3', '1.3.14.3.2.29']);

export function isSha1Algorithm(oid: string): boolean {
  return SHA1_ALGORITHMS.has(oid);
}

/** Key or signature too weak to accept; `code` is stable for callers to report. */
export class WeakCryptoError extends Error {
  override readonly name = 'WeakCryptoError';
  constructor(readonly code: 'weak_key' | 'weak_signature', message: string) {
    super(message);
  }
}

/** Curves accepted for ECDSA keys (OpenSSL names). */
const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };
export const MIN_RSA_BITS = 2048;

/**
 * Why a public key is too weak or of a kind not accepted, or undefined when it is fine. `rsaBits`, when the
 * caller has read it from the DER, saves asking the key (the first look at a key's details costs ~30 µs).
 */
export function keyWeakness(key: KeyObject, rsaBits?: number): string | undefined {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return undefined;
    case 'rsa': {
      const bits = rsaBits ?? key.asymmetricKeyDetails?.modulusLength ?? 0;
      return bits < MIN_RSA_BITS ? `an RSA key of ${bits} bits is too weak (at least ${MIN_RSA_BITS})` : undefined;
    }
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details.namedCurve && details.namedCurve in EC_CURVES ? undefined : `EC keys must use P-256 or P-384, not ${details.namedCurve ?? 'an unnamed curve'}`;
    default:
      return `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (use RSA of ${MIN_RSA_BITS} bits or more, Ed25519, or EC P-256/P-384)`;
  }
}

export interface CsrInfo {
  commonName: string;
  publicKey: KeyObject;
  der: Buffer;
}

export interface CrlInfo {
  /** DER of the issuer name, to match against a CA certificate's subject. */
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Normalised serials (lower-case hex, no leading zeros). */
  revoked: Set<string>;
  body: Buffer;
  algorithmOid: string;
  signature: Buffer;
}

/** Serials compare as numbers: lower-case hex without leading zeros. */
export function normaliseSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

const slice = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.start, t.end);
const content = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.contentStart, t.end);

/** Dotted text of an OBJECT IDENTIFIER's content bytes. */
export function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (tag 0x17) or GeneralizedTime (0x18) as a Date. */
export function decodeTime(der: Uint8Array, t: Tlv): Date {
  const text = Buffer.from(content(der, t)).toString('latin1');
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text);
  if (!m) throw new DerError(`unsupported time '${text}'`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
}

/** The fields of a certificate's TBSCertificate that CA work needs. */
export function tbsFields(certDer: Uint8Array): { issuer: Uint8Array; subject: Uint8Array; spki: Uint8Array } {
  const { body } = signedParts(certDer);
  const fields = children(body, readTlv(body, 0));
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const pick = (i: number) => {
    const f = fields[at + i];
    if (!f) throw new DerError('certificate is missing fields');
    return slice(body, f);
  };
  return { issuer: pick(2), subject: pick(4), spki: pick(5) };
}

/** SHA-1 of the public key bits (RFC 5280 method 1), used for subject and authority key identifiers. */
export function keyIdentifier(publicKeySpki: Uint8Array): Buffer {
  const bits = children(publicKeySpki, readTlv(publicKeySpki, 0))[1];
  if (!bits) throw new DerError('malformed SubjectPublicKeyInfo');
  return createHash('sha1').update(publicKeySpki.subarray(bits.contentStart + 1, bits.end)).digest();
}

function oidOf(algorithmDer: Uint8Array): string {
  const oid = children(algorithmDer, readTlv(algorithmDer, 0))[0];
  if (!oid || oid.tag !== 0x06) throw new DerError('malformed algorithm identifier');
  return decodeOid(content(algorithmDer, oid));
}

/** Verifies a signature made under the named algorithm by a key of the matching kind. */
export function verifyWithAlgorithm(oid: string, body: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const alg = VERIFY_ALGORITHMS[oid];
  if (!alg || alg.key !== key.asymmetricKeyType) return false;
  try {
    return verify(alg.digest, body, key, signature);
  } catch {
    return false;
  }
}

/** The common name in a DER-encoded Name, or undefined when it has none. */
export function commonNameOfName(nameDer: Uint8Array): string | undefined {
  let cn: string | undefined;
  for (const rdn of children(nameDer, readTlv(nameDer, 0))) {
    for (const attr of children(nameDer, rdn)) {
      const [oid, value] = children(nameDer, attr);
      if (oid?.tag === 0x06 && value && decodeOid(content(nameDer, oid)) === OID.commonName) {
        // UTF8String, PrintableString and IA5String are all valid UTF-8 here; BMPString is not used for names.
        cn = Buffer.from(content(nameDer, value)).toString(value.tag === 0x1e ? 'utf16le' : 'utf8');
      }
    }
  }
  return cn;
}

/** Reads and checks a CSR: well formed, and signed by the key it carries. */
export function parseCsr(pem: string): CsrInfo {
  const der = singlePem(pem, 'CERTIFICATE REQUEST', 'certificate request');
  const { body, algorithm, signature } = signedParts(der);
  const [, subject, spki] = children(body, readTlv(body, 0));
  if (!subject || !spki) throw new DerError('certificate request is missing fields');
  const commonName = commonNameOfName(slice(body, subject));
  if (!commonName) throw new DerError('certificate request has no common name');
  const publicKey = createPublicKey({ key: Buffer.from(slice(body, spki)), format: 'der', type: 'spki' });
  const weakness = keyWeakness(publicKey);
  if (weakness) throw new WeakCryptoError('weak_key', `certificate request refused: ${weakness}`);
  const algorithmOid = oidOf(algorithm);
  if (isSha1Algorithm(algorithmOid)) throw new WeakCryptoError('weak_signature', 'certificate request refused: it is signed with SHA-1 (use SHA-256 or better)');
  if (!verifyWithAlgorithm(algorithmOid, body, signature, publicKey)) {
    throw new DerError('certificate request signature does not match its public key');
  }
  return { commonName, publicKey, der };
}

/** Parses one DER CRL. The signature is not checked here: see verifyCrl. */
export function parseCrl(der: Uint8Array): CrlInfo {
  const { body, algorithm, signature } = signedParts(der);
  const fields = children(body, readTlv(body, 0));
  let i = fields[0]?.tag === 0x02 ? 1 : 0;
  const next = () => fields[i++];
  const alg = next();
  const issuer = next();
  const thisUpdate = next();
  if (!alg || !issuer || !thisUpdate || issuer.tag !== 0x30) throw new DerError('CRL is missing fields');
  const info: CrlInfo = {
    issuerDer: Buffer.from(slice(body, issuer)),
    thisUpdate: decodeTime(body, thisUpdate),
    revoked: new Set(),
    body: Buffer.from(body),
    algorithmOid: oidOf(algorithm),
    signature: Buffer.from(signature),
  };
  let field = next();
  if (field && (field.tag === 0x17 || field.tag === 0x18)) {
    info.nextUpdate = decodeTime(body, field);
    field = next();
  }
  if (field && field.tag === 0x30) {
    for (const entry of children(body, field)) {
      const serial = children(body, entry)[0];
      if (!serial || serial.tag !== 0x02) throw new DerError('CRL entry without a serial number');
      info.revoked.add(normaliseSerial(Buffer.from(content(body, serial)).toString('hex')));
    }
  }
  return info;
}

/** True when `ca` issued and signed this CRL. */
export function verifyCrl(crl: CrlInfo, ca: X509Certificate): boolean {
  if (!Buffer.from(tbsFields(ca.raw).subject).equals(crl.issuerDer)) return false;
  return verifyWithAlgorithm(crl.algorithmOid, crl.body, crl.signature, ca.publicKey);
}
