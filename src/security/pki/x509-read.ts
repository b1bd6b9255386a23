// Reading X.509 structures without node-forge (which costs ~100 ms to load): enough to verify
// certificate signing requests and CRLs from any CA (troupe's, Puppet's, OpenSSL's) and to look inside
// certificates. Signatures are checked over the exact signed bytes, sliced from the DER.
import { createHash, createPublicKey, verify, type KeyObject, type X509Certificate } from 'node:crypto';
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
import { singlePem } from './pem.js';
import { TroupeError, type ErrorCodeTable } from '../../errors.js';

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
/**
 * The same extension's value on a broker certificate (`mco ca generate NAME --broker`): brokers accept each other on
 * routes, gateways and leafnodes by it, and never take such a certificate as a node's or an operator's.
 */
export const BROKER_ROLE = 'troupe-broker';

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

export const WEAK_CRYPTO_ERROR_CODES = {
  weak_key: 'a key too weak, or of a kind not accepted (RSA under 2048 bits, other curves than P-256 and P-384)',
  weak_signature: 'a signature algorithm not accepted (SHA-1 based)',
} as const satisfies ErrorCodeTable;

/** Key or signature too weak to accept; `code` is stable for callers to report. */
export class WeakCryptoError extends TroupeError {
  override readonly name = 'WeakCryptoError';
  declare readonly code: keyof typeof WEAK_CRYPTO_ERROR_CODES;
  constructor(code: keyof typeof WEAK_CRYPTO_ERROR_CODES, message: string) {
    super(code, message);
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
      return details.namedCurve && details.namedCurve in EC_CURVES
        ? undefined
        : `EC keys must use P-256 or P-384, not ${details.namedCurve ?? 'an unnamed curve'}`;
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

/** Dotted text of an OBJECT IDENTIFIER's content bytes; refuses padded or unfinished arcs. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  if (bytes[bytes.length - 1]! & 0x80) throw new DerError('OBJECT IDENTIFIER ends inside an arc');
  const parts: number[] = [];
  let value = 0;
  let fresh = true;
  for (const byte of bytes) {
    if (fresh && byte === 0x80) throw new DerError('OBJECT IDENTIFIER arc with leading zeros');
    fresh = false;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError('OBJECT IDENTIFIER arc too large');
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
      fresh = true;
    }
  }
  return parts.join('.');
}

/** The dotted OID of an OBJECT IDENTIFIER element. */
export function readOid(der: Uint8Array, t: Tlv | undefined, what: string): string {
  if (!t || t.tag !== 0x06) throw new DerError(`${what} is not an OBJECT IDENTIFIER`);
  return decodeOid(der.subarray(t.contentStart, t.end));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * UTCTime (tag 0x17) or GeneralizedTime (0x18) as a Date, in the only forms RFC 5280 allows:
 * YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ, with every field in range (no fractions, offsets or leap seconds).
 */
export function decodeTime(der: Uint8Array, t: Tlv): Date {
  const text = Buffer.from(content(der, t)).toString('latin1');
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : t.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!m) throw new DerError(`unsupported time '${text}'`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month! - 1];
  if (!days || day! < 1 || day! > days || hour! > 23 || minute! > 59 || second! > 59) throw new DerError(`time out of range '${text}'`);
  const date = new Date(Date.UTC(2000, month! - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  return date;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** String types a name attribute may use, and how each is decoded; anything else is refused. */
const STRING_DECODERS: Record<number, (bytes: Uint8Array) => string | undefined> = {
  0x0c: (b) => {
    try {
      return STRICT_UTF8.decode(b);
    } catch {
      return undefined;
    }
  },
  // PrintableString, IA5String, NumericString, TeletexString: ASCII only, where every reader agrees.
  // (OpenSSL refuses VisibleString in names; BMPString and UniversalString are printed differently by different readers.)
  0x13: ascii,
  0x16: ascii,
  0x12: ascii,
  0x14: ascii,
};

function ascii(bytes: Uint8Array): string | undefined {
  for (const b of bytes) if (b > 0x7f) return undefined;
  return Buffer.from(bytes).toString('latin1');
}

/** The text of a DirectoryString-like value; throws for types or bytes readers might decode differently. */
export function decodeDirectoryString(der: Uint8Array, t: Tlv, what: string): string {
  const decode = STRING_DECODERS[t.tag];
  const text = decode?.(content(der, t));
  if (text === undefined) throw new DerError(`${what} is not a string troupe reads (tag 0x${t.tag.toString(16)})`);
  return text;
}

/**
 * Checks that `nameDer` is a well-formed Name (SEQUENCE OF non-empty SET OF {OID, string}) and returns its
 * common name: the last CN, as OpenSSL and Puppet read it; undefined when it has none.
 */
export function readName(nameDer: Uint8Array, what = 'name'): { commonName?: string } {
  const root = readTlv(nameDer, 0);
  if (root.end !== nameDer.length) throw new DerError(`${what} has trailing data`);
  let cn: string | undefined;
  for (const rdn of expectChildren(nameDer, root, 0x30, 0, Infinity, what)) {
    for (const attr of expectChildren(nameDer, rdn, 0x31, 1, Infinity, `${what} RDN`)) {
      const [oid, value] = expectChildren(nameDer, attr, 0x30, 2, 2, `${what} attribute`);
      const type = readOid(nameDer, oid, `${what} attribute type`);
      const text = decodeDirectoryString(nameDer, value!, `${what} attribute ${type}`);
      if (type === OID.commonName) cn = text;
    }
  }
  return { commonName: cn };
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
  return createHash('sha1')
    .update(publicKeySpki.subarray(bits.contentStart + 1, bits.end))
    .digest();
}

/** The OID of an AlgorithmIdentifier: SEQUENCE { OID, optional parameters }. */
export function algorithmOid(algorithmDer: Uint8Array): string {
  const root = readTlv(algorithmDer, 0);
  if (root.end !== algorithmDer.length) throw new DerError('algorithm identifier has trailing data');
  const [oid, params] = expectChildren(algorithmDer, root, 0x30, 1, 2, 'algorithm identifier');
  if (params) checkElement(algorithmDer, params);
  return readOid(algorithmDer, oid, 'algorithm');
}
const oidOf = algorithmOid;

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

/** The common name in a DER-encoded Name, or undefined when it has none; throws when the name is malformed. */
export function commonNameOfName(nameDer: Uint8Array): string | undefined {
  return readName(nameDer).commonName;
}

/** Reads and checks a CSR: well formed, and signed by the key it carries. */
export function parseCsr(pem: string): CsrInfo {
  const der = singlePem(pem, 'CERTIFICATE REQUEST', 'certificate request');
  const { body, algorithm, signature } = signedParts(der);
  const [version, subject, spki, attributes] = expectChildren(body, readTlv(body, 0), 0x30, 4, 4, 'certificate request');
  if (readUnsignedInteger(body, version, 'request version') !== '0') throw new DerError('unsupported certificate request version');
  if (!subject || !spki || attributes?.tag !== 0xa0) throw new DerError('certificate request is missing fields');
  for (const attr of children(body, attributes)) {
    const [type] = expectChildren(body, attr, 0x30, 2, 2, 'request attribute');
    readOid(body, type, 'request attribute type');
    for (const v of expectChildren(body, children(body, attr)[1], 0x31, 1, Infinity, 'request attribute values')) checkElement(body, v);
  }
  const commonName = readName(slice(body, subject), 'request subject').commonName;
  if (!commonName) throw new DerError('certificate request has no common name');
  const publicKey = createPublicKey({ key: Buffer.from(slice(body, spki)), format: 'der', type: 'spki' });
  const weakness = keyWeakness(publicKey);
  if (weakness) throw new WeakCryptoError('weak_key', `certificate request refused: ${weakness}`);
  const algorithmOid = oidOf(algorithm);
  if (isSha1Algorithm(algorithmOid))
    throw new WeakCryptoError('weak_signature', 'certificate request refused: it is signed with SHA-1 (use SHA-256 or better)');
  if (!verifyWithAlgorithm(algorithmOid, body, signature, publicKey)) {
    throw new DerError('certificate request signature does not match its public key');
  }
  return { commonName, publicKey, der };
}

/** CRL and CRL entry extensions OpenSSL decodes while reading a CRL (and refuses the CRL when they are malformed). */
const CRL_EXTENSION_CHECKS: Record<string, (der: Uint8Array, t: Tlv) => void> = {
  '2.5.29.20': (der, t) => readUnsignedInteger(der, t, 'CRL number'),
  '2.5.29.27': (der, t) => readUnsignedInteger(der, t, 'delta CRL indicator'),
  '2.5.29.21': (der, t) => {
    if (t.tag !== 0x0a || t.end - t.contentStart !== 1) throw new DerError('CRL reason is not an ENUMERATED');
  },
  '2.5.29.24': (der, t) => decodeTime(der, { ...t, tag: t.tag === 0x18 ? 0x18 : -1 }),
  '2.5.29.35': (der, t) => {
    let next = 0;
    for (const part of expectChildren(der, t, 0x30, 0, 3, 'authority key identifier')) {
      const n = part.tag & 0x1f;
      if (![0x80, 0xa1, 0x82].includes(part.tag) || n < next) throw new DerError('malformed authority key identifier');
      if (part.tag === 0x82) readUnsignedInteger(der, { ...part, tag: 0x02 }, 'authority certificate serial');
      next = n + 1;
    }
  },
  '2.5.29.28': (der, t) => void expectChildren(der, t, 0x30, 0, 6, 'issuing distribution point'),
  '2.5.29.29': (der, t) => void expectChildren(der, t, 0x30, 1, Infinity, 'certificate issuer'),
};

/**
 * Checks the Extensions of a CRL or CRL entry: a non-empty SEQUENCE OF { OID, BOOLEAN DEFAULT FALSE, OCTET STRING }
 * with no extension twice, each value a single DER element; the ones OpenSSL decodes are checked as it does.
 */
function checkExtensionList(der: Uint8Array, list: Tlv, what: string): void {
  const seen = new Set<string>();
  for (const ext of expectChildren(der, list, 0x30, 1, Infinity, what)) {
    const parts = expectChildren(der, ext, 0x30, 2, 3, `${what} entry`);
    const oid = readOid(der, parts[0], `${what} OID`);
    if (parts.length === 3 && !readBoolean(der, parts[1]!, `${what} criticality`))
      throw new DerError(`${what} criticality FALSE must be left out in DER`);
    const valueTlv = parts.at(-1)!;
    if (valueTlv.tag !== 0x04) throw new DerError(`${what} value is not an OCTET STRING`);
    if (seen.has(oid)) throw new DerError(`${what} has ${oid} twice`);
    seen.add(oid);
    const value = der.subarray(valueTlv.contentStart, valueTlv.end);
    CRL_EXTENSION_CHECKS[oid]?.(value, single(value, `${what} ${oid}`));
  }
}

/** Parses one DER CRL. The signature is not checked here: see verifyCrl. */
export function parseCrl(der: Uint8Array): CrlInfo {
  const { body, algorithm, signature } = signedParts(der);
  const fields = children(body, readTlv(body, 0));
  let i = 0;
  if (fields[0]?.tag === 0x02) {
    if (readUnsignedInteger(body, fields[0], 'CRL version') !== '1') throw new DerError('unsupported CRL version');
    i = 1;
  }
  const next = () => fields[i++];
  const alg = next();
  const issuer = next();
  const thisUpdate = next();
  if (!alg || !issuer || !thisUpdate || issuer.tag !== 0x30) throw new DerError('CRL is missing fields');
  // The signed copy of the algorithm must be the one the signature is checked with.
  if (!Buffer.from(slice(body, alg)).equals(algorithm)) throw new DerError('CRL signature algorithms differ');
  readName(slice(body, issuer), 'CRL issuer');
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
      const [serial, date, extensions] = expectChildren(body, entry, 0x30, 2, 3, 'CRL entry');
      info.revoked.add(readUnsignedInteger(body, serial, 'CRL entry serial number'));
      decodeTime(body, date!);
      if (extensions) checkExtensionList(body, extensions, 'CRL entry extensions');
    }
    field = next();
  }
  if (field && field.tag === 0xa0) {
    const [list] = expectChildren(body, field, 0xa0, 1, 1, 'CRL extensions');
    checkExtensionList(body, list!, 'CRL extensions');
    field = next();
  }
  if (field) throw new DerError('CRL has unexpected fields');
  return info;
}

/** True when `ca` issued and signed this CRL. */
export function verifyCrl(crl: CrlInfo, ca: X509Certificate): boolean {
  if (!Buffer.from(tbsFields(ca.raw).subject).equals(crl.issuerDer)) return false;
  return verifyWithAlgorithm(crl.algorithmOid, crl.body, crl.signature, ca.publicKey);
}
