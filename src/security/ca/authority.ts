// A certificate authority kept in one directory, laid out so an operator can read it with `ls`:
//
//   ca_key.pem (0600)  ca_crt.pem  ca_crl.pem  crlnumber  inventory.txt  revoked.txt  autosign.conf
//   requests/<name>.pem   pending certificate signing requests
//   signed/<name>.pem     issued certificates
//
// Every change runs under a lock and writes files atomically, so `mco ca sign` on the command line and the
// CA service (`mco ca serve`) can work on the same directory at once.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLog, type SecurityLog } from '../log.js';
import { fingerprint, generateKeyPair, privateKeyFromPem, privateKeyToPem, type KeyType } from '../pki/keys.js';
import { singlePem } from '../pki/pem.js';
import { buildCrl, issueCertificate, randomSerial, selfSignedCa, type CertificateProfile } from '../pki/x509.js';
import { normaliseSerial, OPERATOR_ROLE, parseCsr, WeakCryptoError, type CsrInfo } from '../pki/x509-read.js';
import { parseCertificate } from '../pki/certificate.js';
import { autosignMatch } from './autosign.js';
import { CAError, checkCertname } from './errors.js';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE, withLock, withLockAsync, writeFileAtomic } from './files.js';

const DAY = 86_400_000;
/** The default of `plugin.security.client_pattern`. */
const DEFAULT_OPERATOR_PATTERN = /\.(mcollective|troupe)$/;

export interface CaInitOptions {
  commonName?: string;
  keyType?: KeyType;
  /** Validity of the CA certificate. */
  caValidityDays?: number;
}

export interface CaOptions {
  /** Validity of issued certificates. */
  validityDays?: number;
  /**
   * Names that would act as operators (nodes' `plugin.security.client_pattern`, whose default is the default
   * here). They are never autosigned nor signed by signAll(); an explicit sign() gives them the operator
   * profile. `null` (an empty client_pattern: any name may send requests) makes every name an operator's.
   */
  operatorPattern?: RegExp | null;
  /** Pending requests kept at most; further submissions are refused until the operator signs or cleans. */
  maxPending?: number;
  log?: SecurityLog;
  now?: () => number;
}

export type CertState = 'requested' | 'signed' | 'revoked';

export interface CertStatus {
  name: string;
  state: CertState;
  /** SHA-256 of the request (pending) or of the certificate (signed, revoked). */
  fingerprint: string;
  serial?: string;
  notAfter?: string;
  /** Signed or revoked: the certificate carries the operator role (it may send requests). */
  operator?: boolean;
}

export interface SubmitResult {
  state: 'requested' | 'signed';
  fingerprint: string;
  /** The autosign.conf pattern that signed it. */
  autosigned?: string;
}

export interface SignAllResult {
  signed: string[];
  /** Requests left pending, with the reason (operator names, requests that cannot be signed). */
  skipped: Array<{ name: string; reason: string }>;
}

export interface IssuedKey {
  keyPem: string;
  certificatePem: string;
}

export class CertificateAuthority {
  private readonly key: KeyObject;
  readonly certificatePem: string;
  private readonly log: SecurityLog;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    private readonly opts: CaOptions,
  ) {
    this.log = opts.log ?? silentLog;
    this.now = opts.now ?? Date.now;
    const keyFile = join(dir, 'ca_key.pem');
    if (!existsSync(keyFile)) throw new CAError('no_ca', `no CA in ${dir} (create one with \`mco ca init\`)`);
    this.key = privateKeyFromPem(readFileSync(keyFile, 'utf8'));
    this.certificatePem = readFileSync(join(dir, 'ca_crt.pem'), 'utf8');
  }

  /** Creates a CA: key, self-signed certificate, empty CRL. Refuses to overwrite an existing one. */
  static init(dir: string, init: CaInitOptions = {}, opts: CaOptions = {}): CertificateAuthority {
    ensureDir(dir, PRIVATE_DIR);
    withLock(dir, () => {
      if (existsSync(join(dir, 'ca_key.pem'))) throw new CAError('ca_exists', `${dir} already holds a CA`);
      const now = (opts.now ?? Date.now)();
      const pair = generateKeyPair(init.keyType ?? 'rsa');
      const notBefore = new Date(now - DAY);
      const notAfter = new Date(now + (init.caValidityDays ?? 5475) * DAY);
      const certificatePem = selfSignedCa(init.commonName ?? 'Troupe CA', pair, notBefore, notAfter);
      for (const sub of ['requests', 'signed']) ensureDir(join(dir, sub), PUBLIC_DIR);
      writeFileAtomic(join(dir, 'ca_key.pem'), privateKeyToPem(pair.privateKey), PRIVATE_FILE);
      writeFileAtomic(join(dir, 'ca_crt.pem'), certificatePem, PUBLIC_FILE);
      writeFileAtomic(join(dir, 'inventory.txt'), '', PUBLIC_FILE);
      writeFileAtomic(join(dir, 'revoked.txt'), '', PUBLIC_FILE);
    });
    const ca = new CertificateAuthority(dir, opts);
    withLock(dir, () => ca.writeCrl());
    return ca;
  }

  static open(dir: string, opts: CaOptions = {}): CertificateAuthority {
    return new CertificateAuthority(dir, opts);
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, 'ca_key.pem'));
  }

  get caFingerprint(): string {
    return fingerprint(singlePem(this.certificatePem, 'CERTIFICATE', 'CA certificate'));
  }

  crlPem(): string {
    return readFileSync(join(this.dir, 'ca_crl.pem'), 'utf8');
  }

  /** The signed certificate for `name`, if any. */
  certificate(name: string): string | undefined {
    return readOptional(join(this.dir, 'signed', `${checkCertname(name)}.pem`));
  }

  request(name: string): string | undefined {
    return readOptional(join(this.dir, 'requests', `${checkCertname(name)}.pem`));
  }

  /** True when `name` would act as an operator, so it is signed only explicitly, with the operator profile. */
  isOperatorName(name: string): boolean {
    const pattern = this.opts.operatorPattern === undefined ? DEFAULT_OPERATOR_PATTERN : this.opts.operatorPattern;
    return pattern === null || pattern.test(name);
  }

  /**
   * Stores a certificate signing request for the name it carries (which must equal `name` when given).
   * Signs it at once when autosign.conf has a matching entry and the name is not an operator's.
   * Waits for the lock synchronously: for commands; the CA service uses submitAsync().
   */
  submit(csrPem: string, name?: string): SubmitResult {
    const checked = this.checkSubmission(csrPem, name);
    return this.afterSubmit(
      checked,
      withLock(this.dir, () => this.submitLocked(checked)),
    );
  }

  /** submit() without blocking the event loop while another command holds the lock; `onWait` runs if it has to wait. */
  async submitAsync(csrPem: string, name?: string, onWait?: () => void): Promise<SubmitResult> {
    const checked = this.checkSubmission(csrPem, name);
    return this.afterSubmit(checked, await withLockAsync(this.dir, () => this.submitLocked(checked), { onWait }));
  }

  private checkSubmission(csrPem: string, name?: string): { csr: CsrInfo; certname: string; fp: string; pem: string } {
    if (name !== undefined) checkCertname(name);
    const csr = readCsr(csrPem);
    const certname = checkCertname(csr.commonName);
    if (name !== undefined && name !== certname) throw new CAError('bad_request', `request is for '${certname}', not '${name}'`);
    return { csr, certname, fp: fingerprint(csr.der), pem: csrPem };
  }

  private submitLocked({ certname, fp, pem }: { csr: CsrInfo; certname: string; fp: string; pem: string }): SubmitResult {
    const current = this.statusOf(certname, false);
    if (current?.state === 'signed') throw new CAError('already_signed', `${certname} already has a signed certificate; revoke it first`);
    if (current?.state === 'revoked') throw revokedError(certname);
    const file = join(this.dir, 'requests', `${certname}.pem`);
    const existing = readOptional(file);
    if (existing !== undefined) {
      if (fingerprint(parseCsr(existing).der) !== fp)
        throw new CAError('request_exists', `a different request for ${certname} is already waiting`);
      return { state: 'requested', fingerprint: fp };
    }
    const max = this.opts.maxPending ?? 1000;
    if (listNames(join(this.dir, 'requests')).length >= max) {
      throw new CAError('too_many_requests', `the CA holds ${max} pending requests, its limit; the operator must sign or clean some first`);
    }
    writeFileAtomic(file, pem, PUBLIC_FILE);
    this.log.info({ certname, fingerprint: fp }, 'certificate request received');
    const pattern = this.isOperatorName(certname)
      ? undefined
      : autosignMatch(join(this.dir, 'autosign.conf'), certname, (line) =>
          this.log.warn({ line }, `autosign.conf line '${line}' is neither a name nor a '*.domain' glob; ignored`),
        );
    if (pattern === undefined) return { state: 'requested', fingerprint: fp };
    this.signLocked(certname, 'node');
    return { state: 'signed', fingerprint: fp, autosigned: pattern };
  }

  private afterSubmit({ certname }: { certname: string }, result: SubmitResult): SubmitResult {
    if (result.autosigned !== undefined) {
      this.log.warn(
        { certname, pattern: result.autosigned },
        `autosigned the certificate of ${certname} (autosign.conf pattern '${result.autosigned}')`,
      );
    } else if (
      result.state === 'requested' &&
      this.isOperatorName(certname) &&
      readOptional(join(this.dir, 'autosign.conf')) !== undefined
    ) {
      this.log.info({ certname }, `${certname} is an operator name; it is never autosigned (sign it with mco ca sign ${certname})`);
    }
    return result;
  }

  /** Signs the pending request for `name`, explicitly: operator names get the operator profile. */
  sign(name: string): string {
    checkCertname(name);
    return withLock(this.dir, () => this.signLocked(name, this.isOperatorName(name) ? 'client' : 'node'));
  }

  private signLocked(name: string, profile: CertificateProfile): string {
    const file = join(this.dir, 'requests', `${name}.pem`);
    const pem = readOptional(file);
    if (pem === undefined) throw new CAError('no_request', `no pending request for ${name}`);
    const status = this.statusOf(name, false);
    if (status?.state === 'revoked') throw revokedError(name);
    if (status?.state === 'signed') throw new CAError('already_signed', `${name} already has a signed certificate; revoke it first`);
    const csr = readCsr(pem);
    const cert = this.issueLocked(name, csr.publicKey, profile);
    rmSync(file, { force: true });
    return cert;
  }

  /**
   * Signs every pending request that is not an operator's; operator names need an explicit sign(). A request
   * that cannot be signed is reported and the others are still signed.
   */
  signAll(): SignAllResult {
    const result: SignAllResult = { signed: [], skipped: [] };
    for (const { name } of this.pending()) {
      if (this.isOperatorName(name)) {
        result.skipped.push({ name, reason: `an operator name; sign it explicitly (mco ca sign ${name})` });
        continue;
      }
      try {
        withLock(this.dir, () => this.signLocked(name, 'node'));
        result.signed.push(name);
      } catch (err) {
        if (!(err instanceof CAError)) throw err;
        result.skipped.push({ name, reason: err.message });
      }
    }
    return result;
  }

  /**
   * Forgets `name`: revokes its certificate if it is still valid, then deletes the certificate and any pending
   * request, so the name may enrol again. Returns what was removed.
   */
  clean(name: string): { revokedSerial?: string; removed: Array<'certificate' | 'request'> } {
    checkCertname(name);
    return withLock(this.dir, () => {
      const status = this.statusOf(name, false);
      const removed: Array<'certificate' | 'request'> = [];
      let revokedSerial: string | undefined;
      if (status?.state === 'signed') {
        revokedSerial = status.serial!;
        this.revokeSerialLocked(revokedSerial, name);
      }
      for (const [sub, what] of [
        ['signed', 'certificate'],
        ['requests', 'request'],
      ] as const) {
        const file = join(this.dir, sub, `${name}.pem`);
        if (existsSync(file)) {
          rmSync(file, { force: true });
          removed.push(what);
        }
      }
      if (removed.length === 0) throw new CAError('not_signed', `${name} has no certificate or request`);
      this.log.warn({ certname: name }, `cleaned ${name}; it may enrol again`);
      return { revokedSerial, removed };
    });
  }

  /**
   * Issues a key and certificate directly, for copying to a node or workstation. An explicit act of the operator:
   * without a profile, operator names get the operator profile and other names the node profile.
   */
  generate(name: string, opts: { keyType?: KeyType; profile?: CertificateProfile; altNames?: readonly string[] } = {}): IssuedKey {
    checkCertname(name);
    const pair = generateKeyPair(opts.keyType ?? 'rsa');
    const certificatePem = withLock(this.dir, () => {
      const state = this.statusOf(name, false)?.state;
      if (state === 'signed') throw new CAError('already_signed', `${name} already has a signed certificate; revoke it first`);
      if (state === 'revoked') throw revokedError(name);
      return this.issueLocked(name, pair.publicKey, opts.profile ?? (this.isOperatorName(name) ? 'client' : 'node'), opts.altNames);
    });
    return { keyPem: privateKeyToPem(pair.privateKey), certificatePem };
  }

  /**
   * Issues a certificate that is not recorded under signed/ (the CA service's own TLS certificate, test
   * fixtures with chosen dates). It is still listed in inventory.txt and can be revoked by serial.
   */
  issueUnlisted(
    name: string,
    publicKey: KeyObject,
    opts: { profile?: CertificateProfile; altNames?: readonly string[]; notBefore?: Date; notAfter?: Date } = {},
  ): string {
    return withLock(this.dir, () => this.issueLocked(name, publicKey, opts.profile ?? 'node', opts.altNames, opts, false));
  }

  private issueLocked(
    name: string,
    publicKey: KeyObject,
    profile: CertificateProfile,
    altNames?: readonly string[],
    dates: { notBefore?: Date; notAfter?: Date } = {},
    record = true,
  ): string {
    const now = this.now();
    const serial = randomSerial();
    const notBefore = dates.notBefore ?? new Date(now - DAY);
    const notAfter = dates.notAfter ?? new Date(now + (this.opts.validityDays ?? 1825) * DAY);
    const pem = issueCertificate(
      { commonName: name, publicKey, profile, notBefore, notAfter, altNames, serial },
      { certificatePem: this.certificatePem, privateKey: this.key },
    );
    appendFileSync(
      join(this.dir, 'inventory.txt'),
      `${normaliseSerial(serial)} ${notBefore.toISOString()} ${notAfter.toISOString()} ${name}\n`,
    );
    if (record) writeFileAtomic(join(this.dir, 'signed', `${name}.pem`), pem, PUBLIC_FILE);
    this.log.info({ certname: name, serial: normaliseSerial(serial) }, 'certificate issued');
    return pem;
  }

  /** Revokes the signed certificate of `name` and publishes a new CRL. */
  revoke(name: string): string {
    checkCertname(name);
    return withLock(this.dir, () => {
      const status = this.statusOf(name);
      if (!status || status.state === 'requested') throw new CAError('not_signed', `${name} has no signed certificate`);
      if (status.state === 'revoked') throw new CAError('already_revoked', `${name} is already revoked`);
      this.revokeSerialLocked(status.serial!, name);
      return status.serial!;
    });
  }

  /** Revokes by serial number, e.g. a certificate issued with issueUnlisted(). */
  revokeSerial(serial: string, name = '-'): void {
    withLock(this.dir, () => this.revokeSerialLocked(normaliseSerial(serial), name));
  }

  private revokeSerialLocked(serial: string, name: string): void {
    appendFileSync(join(this.dir, 'revoked.txt'), `${serial} ${new Date(this.now()).toISOString()} ${name}\n`);
    this.writeCrl();
    this.log.warn({ certname: name, serial }, 'certificate revoked');
  }

  private revokedEntries(): Array<{ serial: string; revokedAt: Date }> {
    const text = readOptional(join(this.dir, 'revoked.txt')) ?? '';
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const [serial, at] = l.split(' ');
        return { serial: serial!, revokedAt: new Date(at!) };
      });
  }

  private writeCrl(): void {
    const numberFile = join(this.dir, 'crlnumber');
    const next = Number(readOptional(numberFile) ?? '0') + 1;
    const now = this.now();
    const pem = buildCrl(
      { certificatePem: this.certificatePem, privateKey: this.key },
      this.revokedEntries(),
      next,
      new Date(now - 60_000),
      new Date(now + 5 * 365 * DAY),
    );
    writeFileAtomic(join(this.dir, 'ca_crl.pem'), pem, PUBLIC_FILE);
    writeFileAtomic(numberFile, `${next}\n`, PUBLIC_FILE);
  }

  pending(): CertStatus[] {
    return listNames(join(this.dir, 'requests'))
      .map((name) => this.statusOf(name)!)
      .filter((s) => s.state === 'requested');
  }

  /** Pending requests, signed and revoked certificates. */
  all(): CertStatus[] {
    const names = new Set([...listNames(join(this.dir, 'requests')), ...listNames(join(this.dir, 'signed'))]);
    return [...names].sort().flatMap((name) => {
      const out: CertStatus[] = [];
      const cert = this.statusOf(name, false);
      if (cert) out.push(cert);
      const req = this.request(name);
      if (req !== undefined && cert?.state !== 'requested') out.push(requestStatus(name, req));
      return out;
    });
  }

  status(name: string): CertStatus | undefined {
    return this.statusOf(checkCertname(name));
  }

  /** A pending request wins over a revoked certificate of the same name (a node re-enrolling). */
  private statusOf(name: string, preferRequest = true): CertStatus | undefined {
    const certPem = readOptional(join(this.dir, 'signed', `${name}.pem`));
    const reqPem = readOptional(join(this.dir, 'requests', `${name}.pem`));
    let cert: CertStatus | undefined;
    if (certPem !== undefined) {
      const x = new X509Certificate(certPem);
      const serial = normaliseSerial(x.serialNumber);
      const revoked = this.revokedEntries().some((e) => e.serial === serial);
      const operator = parseCertificate(x.raw).authRole === OPERATOR_ROLE;
      cert = {
        name,
        state: revoked ? 'revoked' : 'signed',
        fingerprint: fingerprint(x.raw),
        serial,
        notAfter: new Date(x.validTo).toISOString(),
        operator,
      };
    }
    if (reqPem !== undefined && preferRequest && cert?.state !== 'signed') return requestStatus(name, reqPem);
    return cert ?? (reqPem !== undefined ? requestStatus(name, reqPem) : undefined);
  }
}

const revokedError = (name: string) =>
  new CAError('revoked', `the certificate of ${name} is revoked; it is not signed again until the CA operator runs mco ca clean ${name}`);

/** A request read and checked, with weak keys and SHA-1 signatures refused under their own codes. */
function readCsr(pem: string): CsrInfo {
  try {
    return parseCsr(pem);
  } catch (err) {
    if (err instanceof WeakCryptoError) throw new CAError(err.code, err.message);
    throw new CAError('bad_request', `not a valid certificate request: ${(err as Error).message}`);
  }
}

function requestStatus(name: string, pem: string): CertStatus {
  return { name, state: 'requested', fingerprint: fingerprint(singlePem(pem, 'CERTIFICATE REQUEST', 'request')) };
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pem'))
      .map((f) => f.slice(0, -4));
  } catch {
    return [];
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
