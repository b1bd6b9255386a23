// The differential oracle: troupe's readers against OpenSSL.
//
// Certificates: troupe's parseCertificate + publicKeyOf against Node's X509Certificate (OpenSSL 3's d2i_X509 and
// its printers), in process. Names are compared by having OpenSSL print the bytes troupe sliced out (wrapped in a
// probe certificate) next to what it printed for the certificate itself, so no name printer is re-implemented.
// Key usage bits are not exposed by Node: those come from `openssl storeutl -text` in batches (see CliBatch).
// CRLs: troupe's parseCrl against `openssl storeutl -text` (the same OpenSSL), in batches.
// Requests: troupe's parseCsr (which checks the signature) against `openssl req -verify`, one process a case.
import { execFileSync } from 'node:child_process';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate, publicKeyOf, type ParsedCertificate } from '../../security/pki/certificate.js';
import { normaliseSerial, parseCrl, parseCsr, tbsFields, verifyWithAlgorithm, type CrlInfo } from '../../security/pki/x509-read.js';
import { toPem } from '../../security/pki/pem.js';
import { tlv } from './mutate.js';
import {
  altNameEntries,
  crlFromText,
  isCaFromText,
  keyUsageFromText,
  lastCommonName,
  nodeAltName,
  parseOpenSslTime,
  SIGNATURE_ALGORITHM_NAMES,
  storeObjects,
  type StoreObject,
} from './openssl-text.js';

export interface Disagreement {
  kind: 'certificate' | 'crl' | 'csr';
  field: string;
  troupe: string;
  openssl: string;
  /** The input, base64 DER. */
  input: string;
}

export type Verdict =
  | { troupe: 'accept'; openssl: 'accept' | 'reject'; disagreement?: Omit<Disagreement, 'input' | 'kind'> }
  | { troupe: 'reject'; openssl?: 'accept' | 'reject' };

const ED25519_OID = Uint8Array.of(0x06, 0x03, 0x2b, 0x65, 0x70);
const ED25519_SPKI = Buffer.from('302a300506032b6570032100' + '11'.repeat(32), 'hex');
const UTC = tlv(0x17, Buffer.from('250101000000Z'));
const PROBE_SIGNATURE = tlv(0x03, new Uint8Array(65));

/** A well-formed certificate with `nameDer` as both issuer and subject, for OpenSSL to print that name. */
export function probeCertificate(nameDer: Uint8Array): Uint8Array {
  const alg = tlv(0x30, ED25519_OID);
  const tbs = tlv(
    0x30,
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    tlv(0x02, Uint8Array.of(1)),
    alg,
    nameDer,
    tlv(0x30, UTC, UTC),
    nameDer,
    ED25519_SPKI,
  );
  return tlv(0x30, tbs, alg, PROBE_SIGNATURE);
}

function opensslName(nameDer: Uint8Array): string | undefined | Error {
  try {
    return new X509Certificate(probeCertificate(nameDer)).subject ?? '';
  } catch (err) {
    return err as Error;
  }
}

/** Key usage as a mask (bit n = 1 << n), from a reader that exposes it. */
function troupeKeyUsage(cert: ParsedCertificate): number | undefined {
  return (cert as { keyUsage?: number }).keyUsage;
}

const OTHER_PREFIXES: Record<string, string> = { otherName: 'othername:', dirName: 'DirName:', registeredId: 'Registered ID:' };

/** troupe's subjectAltName entries against Node's printed ones: exact for DNS, e-mail, URI and IP; by kind for the rest. */
function altNamesDiffer(cert: ParsedCertificate, printed: string | undefined): boolean {
  const sans = (cert as { subjectAltNames?: Array<{ type: string; value?: string }> }).subjectAltNames;
  if (!('subjectAltNames' in cert)) return false; // a reader that does not read them
  if (sans === undefined) return printed !== undefined;
  const entries = altNameEntries(printed);
  if (printed === undefined || entries.length !== sans.length) return true;
  return sans.some((san, i) => {
    const entry = entries[i]!;
    if (san.type === 'ip') return entry !== `IP Address:${san.value!.toUpperCase()}`;
    if (san.type === 'dns' || san.type === 'email' || san.type === 'uri')
      return entry !== nodeAltName(san.type === 'dns' ? 'DNS' : san.type === 'uri' ? 'URI' : 'email', san.value!);
    return !entry.startsWith(OTHER_PREFIXES[san.type]!);
  });
}

const show = (v: unknown): string =>
  v instanceof Error ? `error: ${v.message}` : v === undefined ? 'absent' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);

export interface CertificateCase {
  der: Uint8Array;
  /** The key that signed the seed; a reader that finds the signature good must agree with OpenSSL. */
  signerPublicKey: KeyObject;
  /** Call OpenSSL even when troupe rejects (to count fail-closed cases). */
  checkRejected: boolean;
}

/** The result for one certificate; `pending` is what the CLI batch still has to compare. */
export function checkCertificate(c: CertificateCase): Verdict & { pending?: PendingCertificate } {
  let cert: ParsedCertificate;
  let key: KeyObject;
  let subjectDer: Uint8Array;
  try {
    cert = parseCertificate(c.der);
    key = publicKeyOf(cert);
    subjectDer = tbsFields(c.der).subject;
  } catch {
    if (!c.checkRejected) return { troupe: 'reject' };
    try {
      new X509Certificate(c.der);
      return { troupe: 'reject', openssl: 'accept' };
    } catch {
      return { troupe: 'reject', openssl: 'reject' };
    }
  }
  let x: X509Certificate;
  try {
    x = new X509Certificate(c.der);
  } catch (err) {
    return {
      troupe: 'accept',
      openssl: 'reject',
      disagreement: { field: 'acceptance', troupe: 'accepts', openssl: `rejects: ${(err as Error).message}` },
    };
  }
  const differ = (field: string, troupe: unknown, openssl: unknown) => ({
    troupe: 'accept' as const,
    openssl: 'accept' as const,
    disagreement: { field, troupe: show(troupe), openssl: show(openssl) },
  });

  const serial = x.serialNumber.startsWith('-') ? x.serialNumber : normaliseSerial(x.serialNumber);
  if (serial !== cert.serial) return differ('serial', cert.serial, x.serialNumber);
  const notBefore = parseOpenSslTime(x.validFrom);
  if (notBefore !== cert.notBefore) return differ('notBefore', new Date(cert.notBefore).toISOString(), x.validFrom);
  const notAfter = parseOpenSslTime(x.validTo);
  if (notAfter !== cert.notAfter) return differ('notAfter', new Date(cert.notAfter).toISOString(), x.validTo);

  const subject = x.subject ?? '';
  const troupeSubject = opensslName(subjectDer);
  if (troupeSubject !== subject) return differ('subject', troupeSubject, subject);
  const issuer = x.issuer ?? '';
  const troupeIssuer = opensslName(cert.issuerDer);
  if (troupeIssuer !== issuer) return differ('issuer', troupeIssuer, issuer);
  const cn = lastCommonName(x.subject);
  if (cn !== cert.commonName) return differ('commonName', cert.commonName, cn);

  const ku = troupeKeyUsage(cert);
  // OpenSSL calls a certificate a CA only if its key usage, when present, allows signing certificates and its
  // extensions are all valid; so here only "OpenSSL: CA" is checked, the CLI batch compares basicConstraints itself.
  if (x.ca && !cert.isCa) return differ('basicConstraints', 'not a CA', 'CA');
  if (JSON.stringify(cert.extKeyUsage) !== JSON.stringify(x.keyUsage)) return differ('extKeyUsage', cert.extKeyUsage, x.keyUsage);
  if (altNamesDiffer(cert, x.subjectAltName ?? undefined))
    return differ('subjectAltName', (cert as { subjectAltNames?: unknown }).subjectAltNames, x.subjectAltName);

  let opensslKey: Buffer | Error;
  try {
    opensslKey = x.publicKey.export({ type: 'spki', format: 'der' });
  } catch (err) {
    opensslKey = err as Error;
  }
  const troupeKey = key.export({ type: 'spki', format: 'der' });
  if (opensslKey instanceof Error || !troupeKey.equals(opensslKey))
    return differ('publicKey', troupeKey.toString('hex'), opensslKey instanceof Error ? opensslKey : opensslKey.toString('hex'));

  if (verifyWithAlgorithm(cert.signatureAlgorithm, cert.tbs, cert.signature, c.signerPublicKey) && !x.verify(c.signerPublicKey)) {
    return differ('signature', 'valid', 'invalid');
  }
  return { troupe: 'accept', openssl: 'accept', pending: { der: c.der, keyUsage: ku, isCa: cert.isCa } };
}

const MARKER_NAME = tlv(
  0x30,
  tlv(0x31, tlv(0x30, tlv(0x06, Uint8Array.of(0x55, 0x04, 0x03)), tlv(0x0c, Buffer.from('troupe.fuzz.marker')))),
);
const MARKER = () => toPem(probeCrl(MARKER_NAME), 'X509 CRL');

/**
 * Runs `openssl storeutl -text` over many PEM blocks at once. storeutl skips what it cannot read, so a marker
 * (a valid CRL) follows every block: two markers in a row mean OpenSSL refused the block between them.
 */
export class CliBatch {
  private readonly dir = mkdtempSync(join(tmpdir(), 'troupe-fuzz-'));
  private readonly marker = MARKER();
  runs = 0;

  /** The printed object for each block, or undefined where OpenSSL refused the block. */
  print(blocks: readonly string[]): Array<StoreObject | undefined> {
    if (blocks.length === 0) return [];
    this.runs++;
    const file = join(this.dir, 'batch.pem');
    writeFileSync(file, blocks.map((b) => b + this.marker).join(''));
    let out: string;
    try {
      out = execFileSync('openssl', ['storeutl', '-noout', '-text', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 1024 * 1024 * 1024,
      });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? '');
    }
    const result: Array<StoreObject | undefined> = [];
    let current: StoreObject | undefined;
    for (const obj of storeObjects(out)) {
      if (obj.type === 'CRL' && obj.lines.some((l) => l.includes('troupe.fuzz.marker'))) {
        result.push(current);
        current = undefined;
      } else {
        current = obj;
      }
    }
    if (result.length !== blocks.length) throw new Error(`openssl storeutl printed ${result.length} of ${blocks.length} markers`);
    return result;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A certificate troupe accepted, with what OpenSSL's CLI still has to confirm. */
export interface PendingCertificate {
  der: Uint8Array;
  /** troupe's key usage mask, undefined when the extension is absent. */
  keyUsage: number | undefined;
  isCa: boolean;
}

export function checkPrintedCertificates(batch: CliBatch, pending: readonly PendingCertificate[]): Disagreement[] {
  const printed = batch.print(pending.map((p) => toPem(p.der, 'CERTIFICATE')));
  const out: Disagreement[] = [];
  printed.forEach((obj, i) => {
    const p = pending[i]!;
    const input = Buffer.from(p.der).toString('base64');
    if (!obj) {
      out.push({ kind: 'certificate', field: 'acceptance (openssl storeutl)', troupe: 'accepts', openssl: 'rejects', input });
      return;
    }
    const ku = keyUsageFromText(obj);
    if (ku !== p.keyUsage) out.push({ kind: 'certificate', field: 'keyUsage', troupe: show(p.keyUsage), openssl: show(ku), input });
    else if (isCaFromText(obj) !== p.isCa)
      out.push({
        kind: 'certificate',
        field: 'basicConstraints (openssl storeutl)',
        troupe: show(p.isCa),
        openssl: show(isCaFromText(obj)),
        input,
      });
  });
  return out;
}

/** troupe's reading of a CRL, or undefined when it refuses it. */
export function troupeCrl(der: Uint8Array): CrlInfo | undefined {
  try {
    return parseCrl(der);
  } catch {
    return undefined;
  }
}

const ED_ALG = tlv(0x30, ED25519_OID);

/** A well-formed CRL with `issuerDer` as its issuer, for OpenSSL to print that name the way it prints CRL issuers. */
export function probeCrl(issuerDer: Uint8Array): Uint8Array {
  return tlv(0x30, tlv(0x30, tlv(0x02, Uint8Array.of(1)), ED_ALG, issuerDer, UTC), ED_ALG, PROBE_SIGNATURE);
}

/** Compares troupe's readings of CRLs it accepted with OpenSSL's, in one CLI batch. */
export function checkCrls(batch: CliBatch, accepted: ReadonlyArray<{ der: Uint8Array; crl: CrlInfo }>): Disagreement[] {
  const blocks: string[] = [];
  for (const a of accepted) blocks.push(toPem(a.der, 'X509 CRL'), toPem(probeCrl(a.crl.issuerDer), 'X509 CRL'));
  const printed = batch.print(blocks);
  const out: Disagreement[] = [];
  accepted.forEach(({ der, crl }, i) => {
    const input = Buffer.from(der).toString('base64');
    const add = (field: string, troupe: unknown, openssl: unknown) =>
      out.push({ kind: 'crl', field, troupe: show(troupe), openssl: show(openssl), input });
    const obj = printed[2 * i];
    const probe = printed[2 * i + 1];
    if (!obj) return add('acceptance', 'accepts', 'rejects');
    const text = crlFromText(obj);
    if (!probe) return add('issuer', 'a name OpenSSL cannot read', text.issuer);
    const probeIssuer = crlFromText(probe).issuer;
    if (probeIssuer !== text.issuer) return add('issuer', probeIssuer, text.issuer);
    if (text.lastUpdate !== crl.thisUpdate.getTime()) return add('thisUpdate', crl.thisUpdate.toISOString(), text.lastUpdate);
    if (text.nextUpdate !== crl.nextUpdate?.getTime()) return add('nextUpdate', crl.nextUpdate?.toISOString(), text.nextUpdate);
    const revoked = [...new Set(text.revoked.map((s) => (s.startsWith('-') ? s : normaliseSerial(s))))].sort();
    const troupeRevoked = [...crl.revoked].sort();
    if (JSON.stringify(revoked) !== JSON.stringify(troupeRevoked)) return add('revoked', troupeRevoked, text.revoked);
    // Algorithms troupe verifies must be the ones OpenSSL names; any other OID can never verify.
    const algorithm = SIGNATURE_ALGORITHM_NAMES[crl.algorithmOid];
    const opensslKnows = Object.values(SIGNATURE_ALGORITHM_NAMES).includes(text.signatureAlgorithm);
    if (algorithm ? algorithm !== text.signatureAlgorithm : opensslKnows)
      return add('signatureAlgorithm', crl.algorithmOid, text.signatureAlgorithm);
  });
  return out;
}

/** troupe's reading of a request (signature checked), or undefined when it refuses it. */
export function troupeCsr(der: Uint8Array): { commonName: string; publicKey: KeyObject } | undefined {
  try {
    return parseCsr(toPem(der, 'CERTIFICATE REQUEST'));
  } catch {
    return undefined;
  }
}

/** Compares a request troupe accepted with `openssl req -verify` (signature, subject's last CN, public key). */
export function checkCsr(dir: string, der: Uint8Array, troupe: { commonName: string; publicKey: KeyObject }): Disagreement | undefined {
  const file = join(dir, 'req.der');
  writeFileSync(file, der);
  const input = Buffer.from(der).toString('base64');
  let out: string;
  try {
    out = execFileSync(
      'openssl',
      [
        'req',
        '-inform',
        'DER',
        '-in',
        file,
        '-noout',
        '-verify',
        '-subject',
        '-nameopt',
        'esc_2253,esc_ctrl,utf8,sep_multiline,sname',
        '-pubkey',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (err) {
    return {
      kind: 'csr',
      field: 'acceptance',
      troupe: 'accepts',
      openssl: `rejects: ${String((err as { stderr?: string }).stderr ?? '').split('\n')[0]}`,
      input,
    };
  }
  // -pubkey prints first, then `subject=` and one indented line per RDN.
  const subjectBlock = out.slice(out.indexOf('subject=') + 'subject='.length);
  const subject = subjectBlock
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4))
    .join('\n');
  const cn = lastCommonName(subject);
  if (cn !== troupe.commonName) return { kind: 'csr', field: 'commonName', troupe: show(troupe.commonName), openssl: show(cn), input };
  const pem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/.exec(out)?.[0];
  const troupeKey = troupe.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (pem !== troupeKey) return { kind: 'csr', field: 'publicKey', troupe: troupeKey, openssl: pem ?? 'absent', input };
  return undefined;
}
