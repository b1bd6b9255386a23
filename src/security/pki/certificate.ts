// A certificate reader for the message path. Every signed reply carries its node's certificate, so a client
// reads thousands of them per command: Node's X509Certificate and key decoding (OpenSSL 3's decoders) cost
// ~200 µs each, this reader a few µs, and keys are imported from their raw numbers (JWK), ~20 µs.
// It reads only what verification needs and refuses what it does not understand (unknown critical extensions).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { children, readTlv, signedParts, DerError, type Tlv } from './der.js';
import { decodeOid, decodeTime, commonNameOfName, normaliseSerial, OPERATOR_ROLE_OID } from './x509-read.js';

const OIDS = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
  ecPublicKey: '1.2.840.10045.2.1',
  ppAuthRole: OPERATOR_ROLE_OID,
} as const;

/** String types an extension value may use: UTF8String, PrintableString, IA5String. */
const STRING_TAGS = new Set([0x0c, 0x13, 0x16]);

/** Critical extensions this reader understands; a certificate with any other critical extension is refused. */
const UNDERSTOOD_CRITICAL = new Set<string>([OIDS.basicConstraints, OIDS.keyUsage, OIDS.extKeyUsage, OIDS.subjectAltName]);

export interface ParsedCertificate {
  /** The signed TBSCertificate bytes, the signature algorithm and the signature, for checking the issuer's signature. */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  serial: string;
  issuerDer: Uint8Array;
  commonName?: string;
  notBefore: number;
  notAfter: number;
  spkiDer: Uint8Array;
  isCa: boolean;
  /** Extended key usage OIDs, undefined when the extension is absent. */
  extKeyUsage?: string[];
  /** keyUsage allows digitalSignature (true when the extension is absent). */
  digitalSignature: boolean;
  /** Value of the pp_auth_role extension, when present and a string. */
  authRole?: string;
  /** An unknown critical extension, which makes the certificate unusable. */
  unknownCritical?: string;
}

const content = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.contentStart, t.end);
const slice = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.start, t.end);

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const { body: tbs, algorithm, signature } = signedParts(der);
  const alg = children(algorithm, readTlv(algorithm, 0))[0];
  if (!alg || alg.tag !== 0x06) throw new DerError('malformed signature algorithm');
  const fields = children(tbs, readTlv(tbs, 0));
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !issuer || !validity || !subject || !spki || serial.tag !== 0x02) throw new DerError('certificate is missing fields');
  const [notBefore, notAfter] = children(tbs, validity);
  if (!notBefore || !notAfter) throw new DerError('certificate validity is malformed');
  const cert: ParsedCertificate = {
    tbs,
    signatureAlgorithm: decodeOid(content(algorithm, alg)),
    signature,
    serial: normaliseSerial(Buffer.from(content(tbs, serial)).toString('hex')),
    issuerDer: slice(tbs, issuer),
    commonName: commonNameOfName(slice(tbs, subject)),
    notBefore: decodeTime(tbs, notBefore).getTime(),
    notAfter: decodeTime(tbs, notAfter).getTime(),
    spkiDer: slice(tbs, spki),
    isCa: false,
    digitalSignature: true,
  };
  const extensions = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (extensions) readExtensions(tbs, extensions, cert);
  return cert;
}

function readExtensions(tbs: Uint8Array, wrapper: Tlv, cert: ParsedCertificate): void {
  const list = children(tbs, wrapper)[0];
  if (!list) return;
  for (const ext of children(tbs, list)) {
    const parts = children(tbs, ext);
    const oid = decodeOid(content(tbs, parts[0]!));
    const critical = parts.length === 3 && parts[1]!.tag === 0x01 && tbs[parts[1]!.contentStart] !== 0;
    const value = content(tbs, parts[parts.length - 1]!);
    if (oid === OIDS.basicConstraints) {
      const seq = readTlv(value, 0);
      const first = children(value, seq)[0];
      cert.isCa = first?.tag === 0x01 && value[first.contentStart] !== 0;
    } else if (oid === OIDS.extKeyUsage) {
      cert.extKeyUsage = children(value, readTlv(value, 0)).map((t) => decodeOid(content(value, t)));
    } else if (oid === OIDS.keyUsage) {
      const bits = readTlv(value, 0);
      // BIT STRING: unused-bit count, then the flags; digitalSignature is the first (most significant) bit.
      cert.digitalSignature = bits.end - bits.contentStart > 1 && (value[bits.contentStart + 1]! & 0x80) !== 0;
    } else if (oid === OIDS.ppAuthRole) {
      const str = readTlv(value, 0);
      if (STRING_TAGS.has(str.tag) && str.end === value.length) cert.authRole = Buffer.from(content(value, str)).toString('utf8');
    } else if (critical && !UNDERSTOOD_CRITICAL.has(oid)) {
      cert.unknownCritical ??= oid;
    }
  }
}

/** The certificate's public key, imported from its raw numbers (much cheaper than decoding SPKI DER). */
export function publicKeyOf(cert: ParsedCertificate): KeyObject {
  const spki = cert.spkiDer;
  const [algorithm, bits] = children(spki, readTlv(spki, 0));
  if (!algorithm || !bits || bits.tag !== 0x03) throw new DerError('malformed public key');
  const oid = decodeOid(content(spki, children(spki, algorithm)[0]!));
  const key = spki.subarray(bits.contentStart + 1, bits.end);
  if (oid === OIDS.ed25519) {
    if (key.length !== 32) throw new DerError('malformed Ed25519 public key');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(key) }, format: 'jwk' });
  }
  if (oid === OIDS.rsaEncryption) {
    const [n, e] = children(key, readTlv(key, 0));
    if (!n || !e) throw new DerError('malformed RSA public key');
    return createPublicKey({ key: { kty: 'RSA', n: b64url(stripZeros(content(key, n))), e: b64url(stripZeros(content(key, e))) }, format: 'jwk' });
  }
  // Other key types (ECDSA): the general decoder.
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** Bits of an RSA certificate's modulus, read from its DER (cheaper than asking the imported key); undefined for other keys. */
export function rsaModulusBits(cert: ParsedCertificate): number | undefined {
  const spki = cert.spkiDer;
  const [algorithm, bits] = children(spki, readTlv(spki, 0));
  if (!algorithm || !bits || decodeOid(content(spki, children(spki, algorithm)[0]!)) !== OIDS.rsaEncryption) return undefined;
  const key = spki.subarray(bits.contentStart + 1, bits.end);
  const n = children(key, readTlv(key, 0))[0];
  if (!n) throw new DerError('malformed RSA public key');
  const modulus = stripZeros(content(key, n));
  return modulus[0] === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!));
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
