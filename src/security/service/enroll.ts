// `mco enroll`: make a key, ask the CA service for a certificate, wait until an operator signs it.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE, writeFileAtomic } from '../ca/files.js';
import { fingerprint, generateKeyPair, keysMatch, privateKeyFromPem, privateKeyToPem, type KeyType } from '../pki/keys.js';
import { singlePem } from '../pki/pem.js';
import { buildCsr } from '../pki/x509.js';
import { commonNameOf } from '../trust/trust-store.js';
import { CaClient, CaServiceError } from './client.js';

export interface EnrollPaths {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

export interface EnrollOptions {
  url: string;
  certname: string;
  paths: EnrollPaths;
  keyType: KeyType;
  /** How long to wait for an operator to sign; 0 submits and returns. */
  waitMs: number;
  pollMs?: number;
  /** Refuse a CA whose SHA-256 fingerprint differs (first contact only). */
  caFingerprint?: string;
  out(line: string): void;
}

export type EnrollResult = 'signed' | 'pending';

const normaliseFp = (fp: string) => fp.replace(/^sha256\s*/i, '').replace(/[^0-9a-f]/gi, '').toUpperCase();

export async function enroll(opts: EnrollOptions): Promise<EnrollResult> {
  const { paths, certname, out } = opts;
  const caPem = await pinCa(opts);
  const client = new CaClient(opts.url, caPem);
  const ca = new X509Certificate(caPem);

  let keyPem: string;
  if (existsSync(paths.key)) {
    keyPem = readFileSync(paths.key, 'utf8');
  } else {
    keyPem = privateKeyToPem(generateKeyPair(opts.keyType).privateKey);
    ensureDir(dirname(paths.key), PRIVATE_DIR);
    writeFileAtomic(paths.key, keyPem, PRIVATE_FILE);
    out(`Generated a ${opts.keyType === 'rsa' ? 'RSA-2048' : 'Ed25519'} key in ${paths.key}`);
  }
  const key = privateKeyFromPem(keyPem);

  const usable = (pem: string | undefined): pem is string => {
    if (!pem) return false;
    const x = new X509Certificate(pem);
    return keysMatch(key, x.publicKey) && x.checkIssued(ca) && x.verify(ca.publicKey) && commonNameOf(x) === certname;
  };

  if (existsSync(paths.cert) && usable(readFileSync(paths.cert, 'utf8'))) {
    out(`${certname} is already enrolled: ${paths.cert}`);
    return 'signed';
  }

  let cert = await client.certificate(certname);
  if (cert !== undefined && !usable(cert)) cert = undefined;
  if (!cert) {
    const csr = buildCsr(certname, key);
    const sent = await client.submit(certname, csr);
    out(`Submitted a certificate request for ${certname}, fingerprint (SHA256) ${fingerprint(singlePem(csr, 'CERTIFICATE REQUEST', 'request'))}`);
    if (sent.state === 'signed') cert = await client.certificate(certname);
  }

  const deadline = Date.now() + opts.waitMs;
  while (!usable(cert)) {
    if (Date.now() >= deadline) {
      out(`The request is waiting for the CA operator (mco ca sign ${certname}); run mco enroll again to fetch the certificate.`);
      return 'pending';
    }
    await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 2000, Math.max(0, deadline - Date.now()))));
    cert = await client.certificate(certname);
  }

  ensureDir(dirname(paths.cert), PUBLIC_DIR);
  writeFileAtomic(paths.cert, cert, PUBLIC_FILE);
  try {
    ensureDir(dirname(paths.crl), PUBLIC_DIR);
    writeFileAtomic(paths.crl, await client.crl(), PUBLIC_FILE);
  } catch (err) {
    out(`Could not fetch the CRL yet (${(err as Error).message}); nodes fetch it on their next refresh.`);
  }
  out(`Certificate for ${certname} saved to ${paths.cert}`);
  return 'signed';
}

/** The CA certificate to trust: the pinned one, or (first contact) the one the service presents, shown to the user. */
async function pinCa(opts: EnrollOptions): Promise<string> {
  const { paths, out } = opts;
  if (existsSync(paths.ca)) return readFileSync(paths.ca, 'utf8');
  const { caPem, presented } = await new CaClient(opts.url).fetchCaUnverified();
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch {
    throw new CaServiceError('bad_ca', 'the CA service did not send a certificate');
  }
  if (!ca.ca) throw new CaServiceError('bad_ca', 'the certificate the CA service sent is not a CA certificate');
  if (!presented || !presented.checkIssued(ca) || !presented.verify(ca.publicKey)) {
    throw new CaServiceError('bad_ca', 'the CA service presents a TLS certificate not issued by the CA it hands out');
  }
  const fp = fingerprint(ca.raw);
  out(`CA certificate fingerprint (SHA256): ${fp}`);
  if (opts.caFingerprint !== undefined && normaliseFp(opts.caFingerprint) !== normaliseFp(fp)) {
    throw new CaServiceError('ca_fingerprint_mismatch', `the CA's fingerprint ${fp} differs from the expected ${opts.caFingerprint}`);
  }
  if (opts.caFingerprint === undefined) out('Compare it with `mco ca list` on the CA host; it is pinned from now on.');
  ensureDir(dirname(paths.ca), PUBLIC_DIR);
  writeFileAtomic(paths.ca, caPem, PUBLIC_FILE);
  return caPem;
}
