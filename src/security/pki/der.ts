// Just enough DER reading to cut signed structures out of certificates, requests and CRLs byte for byte:
// a signature covers the exact bytes that were signed, so they are sliced, never re-encoded.

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export class DerError extends Error {
  override readonly name = 'DerError';
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
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > der.length) throw new DerError('DER element runs past the end of its data');
  return { tag, start: offset, contentStart, end };
}

/** The direct children of a constructed element. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/**
 * The three parts of any signed X.509 structure (certificate, CSR, CRL):
 * the signed body's exact bytes, the signature algorithm element, and the signature bits.
 */
export function signedParts(der: Uint8Array): { body: Uint8Array; algorithm: Uint8Array; signature: Uint8Array } {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new DerError('not a single DER SEQUENCE');
  const [body, algorithm, bits] = children(der, outer);
  if (!body || !algorithm || !bits || bits.tag !== 0x03) throw new DerError('not a signed structure');
  // A BIT STRING starts with the count of unused bits, always 0 for signatures.
  return {
    body: der.subarray(body.start, body.end),
    algorithm: der.subarray(algorithm.start, algorithm.end),
    signature: der.subarray(bits.contentStart + 1, bits.end),
  };
}
