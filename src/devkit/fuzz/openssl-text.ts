// Reading OpenSSL's printed forms back into values: Node's X509Certificate getters and `openssl storeutl -text`.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ASN1_TIME_print's `Jan  2 03:04:05 2025 GMT` as epoch ms; NaN for `Bad time value` or anything else. */
export function parseOpenSslTime(text: string | undefined): number {
  const m = /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? (\d+) GMT$/.exec(text ?? '');
  if (!m) return Number.NaN;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return Number.NaN;
  const d = new Date(Date.UTC(2000, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
  d.setUTCFullYear(Number(m[7]));
  return d.getTime() + (m[6] ? Math.floor(Number(m[6]) * 1000) : 0);
}

/**
 * The attributes of a name as Node prints it (RFC 2253 escaping, one RDN a line, ` + ` inside an RDN),
 * with the escapes undone: `\,` is `,` and `\0A` the byte 0x0a.
 */
export function nameAttributes(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    for (const item of line.split(' + ')) {
      const eq = item.indexOf('=');
      out.push([item.slice(0, eq), unescapeRfc2253(item.slice(eq + 1))]);
    }
  }
  return out;
}

function unescapeRfc2253(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '\\' && i + 1 < value.length) {
      bytes.push(...Buffer.from(value[++i]!, 'utf8'));
    } else {
      const cp = value.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(s, 'utf8'));
      i += s.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The last CN of a name as Node prints it, as troupe's trust store reads an anchor's. */
export function lastCommonName(text: string | undefined): string | undefined {
  let cn: string | undefined;
  for (const [key, value] of nameAttributes(text)) if (key === 'CN') cn = value;
  return cn;
}

/** One object of `openssl storeutl -text` output. */
export interface StoreObject {
  type: string;
  lines: string[];
}

export function storeObjects(output: string): StoreObject[] {
  const out: StoreObject[] = [];
  for (const line of output.split('\n')) {
    const head = /^(\d+): (.+)$/.exec(line);
    if (head) out.push({ type: head[2]!, lines: [] });
    else if (out.length && !line.startsWith('Total found')) out.at(-1)!.lines.push(line);
  }
  return out;
}

export interface CrlText {
  issuer: string;
  lastUpdate: number;
  nextUpdate?: number;
  revoked: string[];
  signatureAlgorithm: string;
}

/** The fields of one CRL printed by OpenSSL. */
export function crlFromText(obj: StoreObject): CrlText {
  const field = (name: string) =>
    obj.lines
      .find((l) => l.trimStart().startsWith(`${name}:`))
      ?.trimStart()
      .slice(name.length + 1)
      .trim();
  const next = field('Next Update');
  // Long serials wrap, each broken line ending in a backslash.
  const revoked: string[] = [];
  obj.lines.forEach((l, i) => {
    if (!/^ {4}Serial Number: /.test(l)) return;
    let serial = l.trim().slice('Serial Number: '.length);
    for (let j = i + 1; serial.endsWith('\\') && j < obj.lines.length; j++) serial = serial.slice(0, -1) + obj.lines[j]!.trim();
    revoked.push(serial);
  });
  const outerAlgorithm = obj.lines
    .filter((l) => /^ {4}Signature Algorithm: /.test(l))
    .at(-1)
    ?.trim()
    .slice('Signature Algorithm: '.length);
  return {
    issuer: field('Issuer') ?? '',
    lastUpdate: parseOpenSslTime(field('Last Update')),
    nextUpdate: next === undefined || next === 'NONE' ? undefined : parseOpenSslTime(next),
    revoked,
    signatureAlgorithm: outerAlgorithm ?? '',
  };
}

/** OpenSSL's names for the signature algorithms troupe verifies. */
export const SIGNATURE_ALGORITHM_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.3.101.112': 'ED25519',
};

/** The key usage names OpenSSL prints, by bit number (digitalSignature is bit 0). */
export const KEY_USAGE_NAMES = [
  'Digital Signature',
  'Non Repudiation',
  'Key Encipherment',
  'Data Encipherment',
  'Key Agreement',
  'Certificate Sign',
  'CRL Sign',
  'Encipher Only',
  'Decipher Only',
];

/** The key usage bits of a certificate printed by OpenSSL, as a mask (bit n is 1 << n); undefined when absent. */
export function keyUsageFromText(obj: StoreObject): number | undefined {
  const at = obj.lines.findIndex((l) => l.trim().startsWith('X509v3 Key Usage:'));
  if (at < 0) return undefined;
  // The usages sit on the next line, indented deeper than the extension names; an empty BIT STRING prints none.
  const next = obj.lines[at + 1] ?? '';
  const indent = (l: string) => l.length - l.trimStart().length;
  if (indent(next) <= indent(obj.lines[at]!)) return 0;
  // With no usage set OpenSSL has nothing to list and dumps the raw value instead: dots for its three or four bytes.
  if (/^\.{3,4}$/.test(next.trim())) return 0;
  const names = next.trim().split(', ').filter(Boolean);
  let mask = 0;
  for (const n of names) {
    const bit = KEY_USAGE_NAMES.indexOf(n);
    if (bit < 0) return Number.NaN;
    mask |= 1 << bit;
  }
  return mask;
}

/** basicConstraints printed by OpenSSL: true for `CA:TRUE`, false for `CA:FALSE` or when absent. */
export function isCaFromText(obj: StoreObject): boolean {
  const at = obj.lines.findIndex((l) => l.trim().startsWith('X509v3 Basic Constraints:'));
  return at >= 0 && (obj.lines[at + 1] ?? '').trim().startsWith('CA:TRUE');
}

/** Splits Node's subjectAltName text into its entries (`, ` between them, never inside a quoted value). */
export function altNameEntries(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '\\') {
      current += ch + (text[++i] ?? '');
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === ',' && text[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out;
}

/** How Node prints one DNS, e-mail or URI name: plain when safe, else JSON-like in quotes after the prefix. */
export function nodeAltName(prefix: string, value: string): string {
  const safe = ![...value].some((c) => c === '"' || c === '\\' || c === ',' || c === "'" || c < ' ' || c > '~');
  if (safe) return `${prefix}:${value}`;
  let out = `${prefix}:"`;
  for (const c of value) {
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (c >= ' ' && c !== ',' && c <= '~') out += c;
    else out += '\\u00' + c.charCodeAt(0).toString(16).padStart(2, '0');
  }
  return out + '"';
}
