// `mco enroll`: make a key, ask the CA service for a certificate, wait until an operator signs it.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE, writeFileAtomic } from '../ca/files.js';
import { fingerprint, generateKeyPair, keysMatch, privateKeyFromPem, privateKeyToPem, type KeyType } from '../pki/keys.js';
import { pemBlocks, singlePem, toPem } from '../pki/pem.js';
import { buildCsr } from '../pki/x509.js';
import { commonNameOf } from '../trust/trust-store.js';
import { CaClient, CaServiceError, hostOf, serviceIdentityError } from './client.js';

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
  /** First contact: the SHA-256 fingerprint of the CA to trust; the one CA certificate with it is saved. */
  caFingerprint?: string;
  /** First contact without a fingerprint: trust the CA the service presents (after showing its fingerprint). */
  trustCa?: boolean;
  out: (line: string) => void;
}

export type EnrollResult = 'signed' | 'pending';

const normaliseFp = (fp: string) =>
  fp
    .replace(/^sha256\s*/i, '')
    .replace(/[^0-9a-f]/gi, '')
    .toUpperCase();

/** Longest pause between tries while the CA service cannot be reached. */
const MAX_RETRY_MS = 30_000;

/**
 * `call`, tried again with growing pauses (from pollMs, doubling, at most 30 s) while the CA service cannot be
 * reached and there is time left to wait; each pause is said in one line.
 */
async function whileUnreachable<T>(opts: EnrollOptions, deadline: number, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const left = deadline - Date.now();
      if (!(err instanceof CaServiceError && err.code === 'unreachable') || left <= 0) throw err;
      const pause = Math.min(MAX_RETRY_MS, (opts.pollMs ?? 2000) * 2 ** Math.min(attempt, 16), left);
      opts.out(`The CA service is unreachable (${err.message}); trying again in ${(pause / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

export async function enroll(opts: EnrollOptions): Promise<EnrollResult> {
  const { paths, certname, out } = opts;
  // Waiting covers the CA service being down as well as the operator not having signed yet.
  const started = Date.now();
  const patiently = <T>(call: () => Promise<T>) => whileUnreachable(opts, started + opts.waitMs, call);
  const caPem = await patiently(() => pinCa(opts));
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

  let cert = await patiently(() => client.certificate(certname));
  if (cert !== undefined && !usable(cert)) cert = undefined;
  if (!cert) {
    const csr = buildCsr(certname, key);
    const sent = await patiently(() => client.submit(certname, csr));
    out(
      `Submitted a certificate request for ${certname}, fingerprint (SHA256) ${fingerprint(singlePem(csr, 'CERTIFICATE REQUEST', 'request'))}`,
    );
    if (sent.state === 'signed') cert = await patiently(() => client.certificate(certname));
  }

  const deadline = Math.max(Date.now(), started + opts.waitMs);
  while (!usable(cert)) {
    if (Date.now() >= deadline) {
      out(`The request is waiting for the CA operator (mco ca sign ${certname}); run mco enroll again to fetch the certificate.`);
      return 'pending';
    }
    await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 2000, Math.max(0, deadline - Date.now()))));
    cert = await patiently(() => client.certificate(certname));
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

/**
 * The CA certificate to trust: the pinned one, or on first contact the one certificate the service sends whose
 * fingerprint was given (`--ca-fingerprint`), or, told to (`--trust-ca`), the single one it sends. Only that
 * certificate is saved, so no other CA in the reply is ever trusted. The service's own TLS certificate must be
 * issued by that CA for the host in the URL.
 */
async function pinCa(opts: EnrollOptions): Promise<string> {
  const { paths, out } = opts;
  if (existsSync(paths.ca)) return readFileSync(paths.ca, 'utf8');
  const { caPem, presented } = await new CaClient(opts.url).fetchCaUnverified();
  const offered = pemBlocks(caPem, 'CERTIFICATE').map(({ der }) => {
    try {
      return new X509Certificate(der);
    } catch {
      throw new CaServiceError('bad_ca', 'the CA service sent a certificate that cannot be read');
    }
  });
  if (offered.length === 0) throw new CaServiceError('bad_ca', 'the CA service did not send a certificate');
  let ca: X509Certificate;
  if (opts.caFingerprint !== undefined) {
    const wanted = normaliseFp(opts.caFingerprint);
    const match = offered.find((c) => normaliseFp(fingerprint(c.raw)) === wanted);
    if (!match) {
      const seen = offered.map((c) => fingerprint(c.raw)).join(', ');
      throw new CaServiceError(
        'ca_fingerprint_mismatch',
        `no CA certificate the service sent has the fingerprint ${opts.caFingerprint} (it sent ${seen})`,
        undefined,
        'check the fingerprint with `mco ca list` on the CA host',
      );
    }
    ca = match;
  } else {
    for (const c of offered) out(`CA certificate fingerprint (SHA256): ${fingerprint(c.raw)}`);
    if (!opts.trustCa) {
      throw new CaServiceError(
        'ca_not_trusted',
        'the CA is not trusted yet: compare its fingerprint with the one `mco ca init` or `mco ca serve` printed on the CA host',
        undefined,
        'then run again with --ca-fingerprint <fingerprint> (or --trust-ca to accept it as shown)',
      );
    }
    if (offered.length !== 1) {
      throw new CaServiceError('bad_ca', `the CA service sent ${offered.length} certificates; choose the CA with --ca-fingerprint`);
    }
    ca = offered[0]!;
  }
  if (!ca.ca) throw new CaServiceError('bad_ca', 'the certificate with that fingerprint is not a CA certificate');
  if (!presented || !presented.checkIssued(ca) || !presented.verify(ca.publicKey)) {
    throw new CaServiceError('bad_service_certificate', 'the CA service presents a TLS certificate not issued by the CA it hands out');
  }
  const wrongName = serviceIdentityError(hostOf(opts.url), presented);
  if (wrongName) throw new CaServiceError('bad_service_certificate', wrongName);
  const fp = fingerprint(ca.raw);
  if (opts.caFingerprint !== undefined) out(`CA certificate fingerprint (SHA256): ${fp}`);
  out(`Trusting the CA with fingerprint ${fp}; it is pinned in ${paths.ca} from now on.`);
  const pinned = toPem(ca.raw, 'CERTIFICATE');
  ensureDir(dirname(paths.ca), PUBLIC_DIR);
  writeFileAtomic(paths.ca, pinned, PUBLIC_FILE);
  return pinned;
}
