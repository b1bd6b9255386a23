// A certificate reader for the message path. Every signed reply carries its node's certificate, so a client
// reads thousands of them per command: Node's X509Certificate and key decoding (OpenSSL 3's decoders) cost
// ~200 µs each, this reader a few µs, and keys are imported from their raw numbers (JWK), ~20 µs.
// It reads only what verification needs and refuses what it does not understand (unknown critical extensions),
// and anything that is not plain DER or that OpenSSL would read differently: the differential fuzzer
// (src/devkit/fuzz/) holds it to agreeing with OpenSSL on every field it returns.
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  checkElement,
  children,
  expectChildren,
  readBoolean,
  readTlv,
  readUnsignedInteger,
  signedParts,
  single,
  DerError,
  type Tlv,
} from './der.js';
import { algorithmOid, decodeDirectoryString, decodeTime, readName, readOid, OPERATOR_ROLE_OID } from './x509-read.js';

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

/** Critical extensions this reader understands; a certificate with any other critical extension is refused. */
const UNDERSTOOD_CRITICAL = new Set<string>([OIDS.basicConstraints, OIDS.keyUsage, OIDS.extKeyUsage, OIDS.subjectAltName]);

/** keyUsage bits, as a mask: bit n of the BIT STRING (digitalSignature is 0) is `1 << n`. */
export const KEY_USAGE = { digitalSignature: 1 << 0, keyCertSign: 1 << 5, cRLSign: 1 << 6 } as const;

export type AltName = { type: 'dns' | 'email' | 'uri' | 'ip'; value: string } | { type: 'otherName' | 'dirName' | 'registeredId' };

export interface ParsedCertificate {
  /** The signed TBSCertificate bytes, the signature algorithm and the signature, for checking the issuer's signature. */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  serial: string;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  commonName?: string;
  notBefore: number;
  notAfter: number;
  spkiDer: Uint8Array;
  isCa: boolean;
  /** Extended key usage OIDs, undefined when the extension is absent. */
  extKeyUsage?: string[];
  /** keyUsage bits (see KEY_USAGE), undefined when the extension is absent. */
  keyUsage?: number;
  /** keyUsage allows digitalSignature (true when the extension is absent). */
  digitalSignature: boolean;
  /** subjectAltName entries, undefined when the extension is absent. */
  subjectAltNames?: AltName[];
  /** Value of the pp_auth_role extension, when present and a string. */
  authRole?: string;
  /** An unknown critical extension, which makes the certificate unusable. */
  unknownCritical?: string;
}

const content = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.contentStart, t.end);
const slice = (der: Uint8Array, t: Tlv): Uint8Array => der.subarray(t.start, t.end);

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const { body: tbs, algorithm, signature } = signedParts(der);
  const fields = children(tbs, readTlv(tbs, 0));
  let i = 0;
  let version = 0;
  if (fields[0]?.tag === 0xa0) {
    const [v] = expectChildren(tbs, fields[0], 0xa0, 1, 1, 'certificate version');
    version = Number.parseInt(readUnsignedInteger(tbs, v, 'certificate version'), 16);
    if (version > 2) throw new DerError('unsupported certificate version');
    i = 1;
  }
  const [serial, innerAlgorithm, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !innerAlgorithm || !issuer || !validity || !subject || !spki || spki.tag !== 0x30)
    throw new DerError('certificate is missing fields');
  // The signed copy of the algorithm must be the one the signature is checked with (OpenSSL refuses otherwise).
  if (!Buffer.from(slice(tbs, innerAlgorithm)).equals(algorithm)) throw new DerError('certificate signature algorithms differ');
  const [notBefore, notAfter] = expectChildren(tbs, validity, 0x30, 2, 2, 'certificate validity');
  const cert: ParsedCertificate = {
    tbs,
    signatureAlgorithm: algorithmOid(algorithm),
    signature,
    serial: readUnsignedInteger(tbs, serial, 'serial number'),
    issuerDer: slice(tbs, issuer),
    subjectDer: slice(tbs, subject),
    commonName: readName(slice(tbs, subject), 'subject').commonName,
    notBefore: decodeTime(tbs, notBefore!).getTime(),
    notAfter: decodeTime(tbs, notAfter!).getTime(),
    spkiDer: slice(tbs, spki),
    isCa: false,
    digitalSignature: true,
  };
  readName(cert.issuerDer, 'issuer');
  // After the key: issuerUniqueID [1], subjectUniqueID [2] (version 2 and 3), extensions [3] (version 3), in order.
  let next = 1;
  for (const f of fields.slice(i + 6)) {
    const allowed = f.tag === 0x81 || f.tag === 0x82 ? version >= 1 : f.tag === 0xa3 && version === 2;
    if (!allowed || (f.tag & 0x1f) < next) throw new DerError(`unexpected certificate field with tag 0x${f.tag.toString(16)}`);
    next = (f.tag & 0x1f) + 1;
    if (f.tag === 0xa3) readExtensions(tbs, f, cert);
    else checkElement(tbs, { ...f, tag: 0x03 }); // unique identifiers are BIT STRINGs
  }
  return cert;
}

function readExtensions(tbs: Uint8Array, wrapper: Tlv, cert: ParsedCertificate): void {
  const [list] = expectChildren(tbs, wrapper, 0xa3, 1, 1, 'extensions');
  const seen = new Set<string>();
  for (const ext of expectChildren(tbs, list, 0x30, 1, Infinity, 'extensions')) {
    const parts = expectChildren(tbs, ext, 0x30, 2, 3, 'extension');
    const oid = readOid(tbs, parts[0], 'extension');
    // RFC 5280: an extension appears at most once; OpenSSL ignores every copy of a repeated one.
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`);
    seen.add(oid);
    const critical = parts.length === 3 && readBoolean(tbs, parts[1]!, 'extension criticality');
    if (parts.length === 3 && !critical) throw new DerError('extension criticality FALSE must be left out in DER');
    const valueTlv = parts[parts.length - 1]!;
    if (valueTlv.tag !== 0x04) throw new DerError('extension value is not an OCTET STRING');
    const value = content(tbs, valueTlv);
    if (oid === OIDS.basicConstraints) {
      const fields = expectChildren(value, single(value, 'basicConstraints'), 0x30, 0, 2, 'basicConstraints');
      let at = 0;
      if (fields[at]?.tag === 0x01) cert.isCa = readBoolean(value, fields[at++]!, 'basicConstraints cA');
      if (fields[at]) readUnsignedInteger(value, fields[at++], 'basicConstraints pathLenConstraint');
      if (at !== fields.length) throw new DerError('malformed basicConstraints');
    } else if (oid === OIDS.extKeyUsage) {
      const list = expectChildren(value, single(value, 'extKeyUsage'), 0x30, 1, Infinity, 'extKeyUsage');
      cert.extKeyUsage = list.map((t) => readOid(value, t, 'extKeyUsage purpose'));
    } else if (oid === OIDS.keyUsage) {
      cert.keyUsage = readKeyUsage(value);
      cert.digitalSignature = (cert.keyUsage & KEY_USAGE.digitalSignature) !== 0;
    } else if (oid === OIDS.subjectAltName) {
      cert.subjectAltNames = readAltNames(value);
    } else if (oid === OIDS.ppAuthRole) {
      cert.authRole = readAuthRole(value);
    } else if (critical && !UNDERSTOOD_CRITICAL.has(oid)) {
      cert.unknownCritical ??= oid;
    }
  }
}

/** keyUsage: a BIT STRING whose first nine bits are the usages (RFC 5280 4.2.1.3). */
function readKeyUsage(value: Uint8Array): number {
  const bits = single(value, 'keyUsage');
  if (bits.tag !== 0x03 || bits.end === bits.contentStart) throw new DerError('keyUsage is not a BIT STRING');
  const unused = value[bits.contentStart]!;
  const bytes = value.subarray(bits.contentStart + 1, bits.end);
  if (unused > 7 || (bytes.length === 0 && unused !== 0)) throw new DerError('keyUsage has a bad unused-bits count');
  if (bytes.length && bytes[bytes.length - 1]! & ((1 << unused) - 1)) throw new DerError('keyUsage sets unused bits');
  let mask = 0;
  for (let bit = 0; bit < 9 && bit < bytes.length * 8; bit++) if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) mask |= 1 << bit;
  return mask;
}

/** GeneralNames (RFC 5280 4.2.1.6): DNS names, e-mail addresses, URIs and IP addresses are read; x400 and EDI refused. */
function readAltNames(value: Uint8Array): AltName[] {
  const out: AltName[] = [];
  for (const name of expectChildren(value, single(value, 'subjectAltName'), 0x30, 1, Infinity, 'subjectAltName')) {
    const bytes = content(value, name);
    switch (name.tag) {
      case 0x81:
      case 0x82:
      case 0x86: {
        for (const b of bytes) if (b > 0x7f) throw new DerError('subjectAltName is not IA5String');
        const type = name.tag === 0x81 ? 'email' : name.tag === 0x82 ? 'dns' : 'uri';
        out.push({ type, value: Buffer.from(bytes).toString('latin1') });
        break;
      }
      case 0x87:
        if (bytes.length !== 4 && bytes.length !== 16) throw new DerError('subjectAltName IP address of odd length');
        out.push({ type: 'ip', value: ipText(bytes) });
        break;
      case 0xa0: {
        const [type, inner] = expectChildren(value, name, 0xa0, 2, 2, 'subjectAltName otherName');
        readOid(value, type, 'otherName type');
        checkElement(value, expectChildren(value, inner, 0xa0, 1, 1, 'otherName value')[0]!);
        out.push({ type: 'otherName' });
        break;
      }
      case 0xa4: {
        const [dir] = expectChildren(value, name, 0xa4, 1, 1, 'subjectAltName directoryName');
        readName(slice(value, dir!), 'subjectAltName directoryName');
        out.push({ type: 'dirName' });
        break;
      }
      case 0x88:
        readOid(value, { ...name, tag: 0x06 }, 'subjectAltName registeredID');
        out.push({ type: 'registeredId' });
        break;
      default:
        throw new DerError(`unsupported subjectAltName type with tag 0x${name.tag.toString(16)}`);
    }
  }
  return out;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** The certificate's public key, imported from its raw numbers (much cheaper than decoding SPKI DER). */
export function publicKeyOf(cert: ParsedCertificate): KeyObject {
  const spki = cert.spkiDer;
  const [algorithm, bits] = expectChildren(spki, readTlv(spki, 0), 0x30, 2, 2, 'public key');
  if (bits!.tag !== 0x03 || bits!.end === bits!.contentStart || spki[bits!.contentStart] !== 0)
    throw new DerError('malformed public key bits');
  const params = expectChildren(spki, algorithm, 0x30, 1, 2, 'public key algorithm');
  const oid = readOid(spki, params[0], 'public key algorithm');
  if (params[1]) checkElement(spki, params[1]);
  const key = spki.subarray(bits!.contentStart + 1, bits!.end);
  if (oid === OIDS.ed25519) {
    if (params.length !== 1) throw new DerError('Ed25519 key with parameters');
    if (key.length !== 32) throw new DerError('malformed Ed25519 public key');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(key) }, format: 'jwk' });
  }
  if (oid === OIDS.rsaEncryption) {
    const p = params[1];
    if (p && (p.tag !== 0x05 || p.end !== p.contentStart)) throw new DerError('RSA key parameters are not NULL');
    const [n, e] = expectChildren(key, single(key, 'RSA public key'), 0x30, 2, 2, 'RSA public key');
    const modulus = readUnsignedInteger(key, n, 'RSA modulus');
    const exponent = readUnsignedInteger(key, e, 'RSA exponent');
    return createPublicKey({ key: { kty: 'RSA', n: hexToB64url(modulus), e: hexToB64url(exponent) }, format: 'jwk' });
  }
  // Other key types (ECDSA): the general decoder.
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

function hexToB64url(hex: string): string {
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex').toString('base64url');
}

/** pp_auth_role's text; undefined (no role, so never an operator) when it is not exactly one readable string. */
function readAuthRole(value: Uint8Array): string | undefined {
  try {
    return decodeDirectoryString(value, single(value, 'pp_auth_role'), 'pp_auth_role');
  } catch {
    return undefined;
  }
}

/** Bits of an RSA certificate's modulus, read from its DER (cheaper than asking the imported key); undefined for other keys. */
export function rsaModulusBits(cert: ParsedCertificate): number | undefined {
  const spki = cert.spkiDer;
  const [algorithm, bits] = children(spki, readTlv(spki, 0));
  if (!algorithm || !bits || readOid(spki, children(spki, algorithm)[0], 'key algorithm') !== OIDS.rsaEncryption) return undefined;
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
