// Just enough DER reading to cut signed structures out of certificates, requests and CRLs byte for byte:
// a signature covers the exact bytes that were signed, so they are sliced, never re-encoded.
// Strict DER only (minimal lengths, minimal integers, well-formed OIDs): a signed structure read two ways by two
// parsers is how authentication gets bypassed, so whatever is not plain DER is refused.
import { TroupeError, type ErrorCodeTable } from '../../errors.js';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export const DER_ERROR_CODES = {
  malformed_der: 'a certificate, request or CRL whose bytes are not strict DER',
  not_pem: 'a file or text that holds no PEM block of the kind expected (CERTIFICATE, CERTIFICATE REQUEST…)',
} as const satisfies ErrorCodeTable;
export type DerErrorCode = keyof typeof DER_ERROR_CODES;

/** Certificate encoding that cannot be read: not strict DER, or no PEM armour around it. */
export class DerError extends TroupeError {
  override readonly name = 'DerError';
  declare readonly code: DerErrorCode;
  constructor(message: string, code: DerErrorCode = 'malformed_der') {
    super(code, message);
  }
}

/** Reads the tag-length-value element starting at `offset`. */
export function readTlv(der: Uint8Array, offset: number): Tlv {
  if (offset + 2 > der.length) throw new DerError('truncated DER element');
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new DerError('unsupported DER length encoding');
    if (contentStart + bytes > der.length) throw new DerError('truncated DER length');
    if (der[contentStart] === 0) throw new DerError('DER length with leading zeros');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[contentStart + i]!;
    if (length < 0x80) throw new DerError('DER length in long form');
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > der.length) throw new DerError('DER element runs past the end of its data');
  return { tag, start: offset, contentStart, end };
}

/** The direct children of a constructed element. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerError(`DER element with tag 0x${parent.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = readTlv(der, at);
    if (child.end > parent.end) throw new DerError('DER element runs past the end of its parent');
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The children of `t`, which must have tag `tag` and between `min` and `max` children. */
export function expectChildren(der: Uint8Array, t: Tlv | undefined, tag: number, min: number, max: number, what: string): Tlv[] {
  if (!t || t.tag !== tag) throw new DerError(`${what} is missing or has the wrong type`);
  const list = children(der, t);
  if (list.length < min || list.length > max) throw new DerError(`${what} has ${list.length} elements`);
  return list;
}

/** The single element that `bytes` (an OCTET STRING's content, an extension value) must consist of. */
export function single(bytes: Uint8Array, what: string): Tlv {
  const t = readTlv(bytes, 0);
  if (t.end !== bytes.length) throw new DerError(`${what} has trailing data`);
  return t;
}

/** A non-negative INTEGER in minimal encoding, as lower-case hex without leading zeros. */
export function readUnsignedInteger(der: Uint8Array, t: Tlv | undefined, what: string): string {
  if (!t || t.tag !== 0x02) throw new DerError(`${what} is not an INTEGER`);
  const bytes = der.subarray(t.contentStart, t.end);
  if (bytes.length === 0) throw new DerError(`${what} is empty`);
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) throw new DerError(`${what} is not minimally encoded`);
  if (bytes.length > 1 && bytes[0] === 0xff && bytes[1]! & 0x80) throw new DerError(`${what} is not minimally encoded`);
  if (bytes[0]! & 0x80) throw new DerError(`${what} is negative`);
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/^0+(?=.)/, '');
}

/** The value of a DER BOOLEAN (0x00 or 0xff, nothing else). */
export function readBoolean(der: Uint8Array, t: Tlv, what: string): boolean {
  if (t.tag !== 0x01 || t.end - t.contentStart !== 1) throw new DerError(`${what} is not a BOOLEAN`);
  const v = der[t.contentStart]!;
  if (v !== 0 && v !== 0xff) throw new DerError(`${what} is not a DER BOOLEAN`);
  return v === 0xff;
}

/**
 * The three parts of any signed X.509 structure (certificate, CSR, CRL):
 * the signed body's exact bytes, the signature algorithm element, and the signature bits.
 */
export function signedParts(der: Uint8Array): { body: Uint8Array; algorithm: Uint8Array; signature: Uint8Array } {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new DerError('not a single DER SEQUENCE');
  const parts = children(der, outer);
  const [body, algorithm, bits] = parts;
  if (parts.length !== 3 || body!.tag !== 0x30 || algorithm!.tag !== 0x30 || bits!.tag !== 0x03)
    throw new DerError('not a signed structure');
  // A BIT STRING starts with the count of unused bits, always 0 for signatures.
  if (bits!.end === bits!.contentStart || der[bits!.contentStart] !== 0) throw new DerError('signature BIT STRING has unused bits');
  return {
    body: der.subarray(body!.start, body!.end),
    algorithm: der.subarray(algorithm!.start, algorithm!.end),
    signature: der.subarray(bits!.contentStart + 1, bits!.end),
  };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks an element of any type (algorithm parameters, attribute values) the way OpenSSL's decoder does when it
 * reads ANY: every universal primitive inside must be valid for its type, however deep.
 */
export function checkElement(der: Uint8Array, t: Tlv, depth = 0): void {
  if (depth > 16) throw new DerError('DER nested too deeply');
  if (t.tag & 0x20) {
    for (const c of children(der, t)) checkElement(der, c, depth + 1);
    return;
  }
  const bytes = der.subarray(t.contentStart, t.end);
  const bad = (why: string) => new DerError(`malformed DER value with tag 0x${t.tag.toString(16)}: ${why}`);
  switch (t.tag) {
    case 0x01:
      if (bytes.length !== 1) throw bad('BOOLEAN of odd length');
      break;
    case 0x02:
    case 0x0a:
      if (bytes.length === 0) throw bad('empty');
      if (bytes.length > 1 && ((bytes[0] === 0 && !(bytes[1]! & 0x80)) || (bytes[0] === 0xff && bytes[1]! & 0x80)))
        throw bad('not minimal');
      break;
    case 0x03:
      if (bytes.length === 0 || bytes[0]! > 7 || (bytes.length === 1 && bytes[0] !== 0)) throw bad('unused-bit count');
      break;
    case 0x05:
      if (bytes.length !== 0) throw bad('NULL with content');
      break;
    case 0x06:
      if (bytes.length === 0 || bytes[bytes.length - 1]! & 0x80) throw bad('unfinished OID');
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x80 && (i === 0 || !(bytes[i - 1]! & 0x80))) throw bad('padded OID arc');
      break;
    case 0x0c:
      try {
        STRICT_UTF8.decode(bytes);
      } catch {
        throw bad('invalid UTF-8');
      }
      break;
    case 0x1e:
      if (bytes.length % 2) throw bad('BMPString of odd length');
      break;
    case 0x1c:
      if (bytes.length % 4) throw bad('UniversalString of odd length');
      break;
  }
}
