// PEM armour: base64 DER between BEGIN/END lines.
import { DerError } from './der.js';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every PEM block in `text`, in order (a CA bundle or Puppet's crl.pem can hold several). */
export function pemBlocks(text: string, label?: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    if (label && m[1] !== label) continue;
    out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The single block with `label`; throws when there is none. */
export function singlePem(text: string, label: string, what: string): Buffer {
  const [block] = pemBlocks(text, label);
  if (!block || block.der.length === 0) throw new DerError(`${what} is not a PEM ${label}`, 'not_pem');
  return block.der;
}
