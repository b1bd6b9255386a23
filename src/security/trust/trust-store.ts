// What a process trusts: the CA certificates, the CA's revocation list, and a cache of certificates already
// checked against them. Chain checks run once per certificate; dates and revocation are checked on every use.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { SecurityError } from '../provider.js';
import { pemBlocks } from '../pki/pem.js';
import { isSha1Algorithm, keyWeakness, OPERATOR_ROLE, parseCrl, tbsFields, verifyCrl, verifyWithAlgorithm } from '../pki/x509-read.js';
import { parseCertificate, publicKeyOf, rsaModulusBits, type ParsedCertificate } from '../pki/certificate.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const PEM_CERTIFICATE = /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/;

/** A certificate that chains to a trusted CA. */
export interface TrustedCertificate {
  commonName: string;
  serial: string;
  notBefore: number;
  notAfter: number;
  publicKey: KeyObject;
  /** The extended key usage allows TLS client authentication (or the certificate has none, as old Puppet ones). */
  clientAuth: boolean;
  /** Carries the operator role (pp_auth_role = troupe-operator), set by the CA only on explicit signing. */
  operator: boolean;
  /** Fingerprint of the CA certificate that signed it. */
  issuer: string;
}

export interface TrustStoreOptions {
  /**
   * PEM text of the CA certificate. It may be a chain (an intermediate CA and the root above it, as Puppet's
   * ca.pem), but then every certificate must belong to that one chain; only its lowest CA issues trusted
   * certificates, the others only vouch for it and sign CRLs.
   */
  caPem: string;
  maxCertificateSize: number;
  /** Certificates remembered after a successful chain check. */
  cacheSize?: number;
  /** Failed checks remembered, so the same junk repeated is refused cheaply. */
  failureCacheSize?: number;
  now?: () => number;
}

export interface CrlStatus {
  loadedAt?: number;
  revoked: number;
  nextUpdate?: number;
}

interface Anchor {
  cert: X509Certificate;
  parsed: ParsedCertificate;
  /** Kept: X509Certificate.publicKey makes a new KeyObject on every read. */
  publicKey: KeyObject;
  subjectDer: Buffer;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
}

type CacheEntry = { ok: TrustedCertificate } | { error: SecurityError };

/** Caches are keyed by a digest of the PEM text, never the text: an entry costs the same whatever was sent. */
const pemKey = (pem: string) => createHash('sha256').update(pem).digest('base64');

export class TrustStore {
  /** The CA and the CAs above it: each may sign CRLs. */
  private readonly anchors: Anchor[];
  /** The one CA whose certificates are trusted. */
  private readonly issuing: Anchor;
  /** The issuing CA itself is revoked by a CA above it. */
  private issuingRevoked = false;
  private readonly cache: BoundedMap<TrustedCertificate>;
  /** Kept apart and small: anyone on the broker can send distinct junk, but only the CA can make good certificates. */
  private readonly failures: BoundedMap<SecurityError>;
  private readonly now: () => number;
  /** Revoked serials per issuing CA fingerprint. */
  private revoked = new Map<string, Set<string>>();
  private crl: CrlStatus = { revoked: 0 };

  constructor(private readonly opts: TrustStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.cache = new BoundedMap(opts.cacheSize ?? 10_000);
    this.failures = new BoundedMap(opts.failureCacheSize ?? 1024);
    this.anchors = pemBlocks(opts.caPem, 'CERTIFICATE').map(({ der }) => {
      let cert: X509Certificate;
      let parsed: ParsedCertificate;
      try {
        cert = new X509Certificate(der);
        parsed = parseCertificate(cert.raw);
      } catch (err) {
        throw new SecurityError('bad_ca', `the CA file holds a certificate that cannot be read: ${(err as Error).message}`);
      }
      return {
        cert,
        parsed,
        publicKey: cert.publicKey,
        subjectDer: Buffer.from(tbsFields(cert.raw).subject),
        fingerprint: fingerprintOf(cert),
        notBefore: Date.parse(cert.validFrom),
        notAfter: Date.parse(cert.validTo),
      };
    });
    if (this.anchors.length === 0) throw new SecurityError('no_ca', 'the CA file holds no certificate');
    this.issuing = issuingCa(this.anchors);
  }

  crlStatus(): CrlStatus {
    return { ...this.crl };
  }

  /**
   * Replaces the revocation data with the CRLs in `pem` (Puppet's crl.pem may hold one per CA in the chain).
   * Every CRL must be signed by one of the trusted CAs; otherwise nothing changes and this throws.
   */
  loadCrl(pem: string): void {
    const blocks = pemBlocks(pem, 'X509 CRL');
    if (blocks.length === 0) throw new SecurityError('bad_crl', 'no X509 CRL block found');
    const next = new Map<string, Set<string>>();
    let nextUpdate: number | undefined;
    for (const { der } of blocks) {
      const crl = parseCrl(der);
      const anchor = this.anchors.find((a) => verifyCrl(crl, a.cert));
      if (!anchor) throw new SecurityError('bad_crl', 'a CRL is not signed by any trusted CA');
      const set = next.get(anchor.fingerprint) ?? new Set<string>();
      for (const serial of crl.revoked) set.add(serial);
      next.set(anchor.fingerprint, set);
      const nu = crl.nextUpdate?.getTime();
      if (nu !== undefined) nextUpdate = nextUpdate === undefined ? nu : Math.min(nextUpdate, nu);
    }
    this.revoked = next;
    const parent = this.anchors.find((a) => a !== this.issuing && issued(this.issuing, a));
    this.issuingRevoked = parent !== undefined && (next.get(parent.fingerprint)?.has(this.issuing.parsed.serial) ?? false);
    let count = 0;
    for (const s of next.values()) count += s.size;
    this.crl = { loadedAt: this.now(), revoked: count, nextUpdate };
  }

  /**
   * Checks a PEM certificate presented with a message: size, syntax, chain to a trusted CA, validity dates,
   * revocation. Throws SecurityError with the reason as its code.
   */
  verify(pem: string): TrustedCertificate {
    if (pem.length > this.opts.maxCertificateSize) {
      throw new SecurityError(
        'oversized_certificate',
        `certificate of ${pem.length} bytes exceeds the limit of ${this.opts.maxCertificateSize}`,
      );
    }
    const key = pemKey(pem);
    let cert = this.cache.get(key);
    if (!cert) {
      const failed = this.failures.get(key);
      if (failed) throw failed;
      const entry = this.check(pem);
      if ('error' in entry) {
        this.failures.set(key, entry.error);
        throw entry.error;
      }
      cert = entry.ok;
      this.cache.set(key, cert);
    }
    const now = this.now();
    if (now < cert.notBefore)
      throw new SecurityError(
        'expired_certificate',
        `certificate ${cert.commonName} is not valid before ${new Date(cert.notBefore).toISOString()}`,
      );
    if (now > cert.notAfter)
      throw new SecurityError('expired_certificate', `certificate ${cert.commonName} expired at ${new Date(cert.notAfter).toISOString()}`);
    if (this.issuingRevoked) throw new SecurityError('revoked_certificate', `the CA that issued certificate ${cert.commonName} is revoked`);
    if (this.revoked.get(cert.issuer)?.has(cert.serial)) {
      throw new SecurityError('revoked_certificate', `certificate ${cert.commonName} (serial ${cert.serial}) is revoked`);
    }
    return cert;
  }

  private check(pem: string): CacheEntry {
    const block = PEM_CERTIFICATE.exec(pem);
    if (!block) return { error: new SecurityError('malformed_certificate', 'certificate is not a single PEM CERTIFICATE block') };
    let cert: ParsedCertificate;
    let publicKey: KeyObject;
    let rsaBits: number | undefined;
    try {
      cert = parseCertificate(Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64'));
      publicKey = publicKeyOf(cert);
      rsaBits = rsaModulusBits(cert);
    } catch (err) {
      return { error: new SecurityError('malformed_certificate', `certificate cannot be parsed: ${(err as Error).message}`) };
    }
    const name = cert.commonName ?? `serial ${cert.serial}`;
    if (isSha1Algorithm(cert.signatureAlgorithm))
      return { error: new SecurityError('weak_certificate', `certificate ${name} is signed with SHA-1, which is refused`) };
    const weakness = keyWeakness(publicKey, rsaBits);
    if (weakness) return { error: new SecurityError('weak_certificate', `certificate ${name}: ${weakness}`) };
    const anchor = this.issuing;
    if (
      !anchor.subjectDer.equals(cert.issuerDer) ||
      !verifyWithAlgorithm(cert.signatureAlgorithm, cert.tbs, cert.signature, anchor.publicKey)
    ) {
      return { error: new SecurityError('untrusted_certificate', `certificate ${name} is not signed by the trusted CA`) };
    }
    if (cert.isCa)
      return { error: new SecurityError('untrusted_certificate', `certificate ${name} is a CA certificate, which may not sign messages`) };
    if (cert.unknownCritical)
      return {
        error: new SecurityError(
          'untrusted_certificate',
          `certificate ${name} has an unsupported critical extension ${cert.unknownCritical}`,
        ),
      };
    if (!cert.digitalSignature)
      return { error: new SecurityError('untrusted_certificate', `certificate ${name} may not make signatures (key usage)`) };
    if (!cert.commonName) return { error: new SecurityError('malformed_certificate', 'certificate has no common name') };
    return {
      ok: {
        commonName: cert.commonName,
        serial: cert.serial,
        notBefore: Math.max(cert.notBefore, anchor.notBefore),
        notAfter: Math.min(cert.notAfter, anchor.notAfter),
        publicKey,
        clientAuth: cert.extKeyUsage === undefined || cert.extKeyUsage.includes(CLIENT_AUTH),
        operator: cert.authRole === OPERATOR_ROLE,
        issuer: anchor.fingerprint,
      },
    };
  }
}

/** A Map that forgets its oldest entry when full. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (!this.map.has(key) && this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }
}

/** `child` is signed by `parent`. */
function issued(child: Anchor, parent: Anchor): boolean {
  const c = child.parsed;
  return (
    Buffer.from(c.issuerDer).equals(parent.subjectDer) && verifyWithAlgorithm(c.signatureAlgorithm, c.tbs, c.signature, parent.publicKey)
  );
}

/**
 * The CA that issues message certificates. One certificate is that CA; several must be one chain (each signed by
 * the next, ending at a self-signed root), so a stray or rogue CA appended to the file is refused, never trusted.
 */
function issuingCa(anchors: Anchor[]): Anchor {
  for (const a of anchors) {
    if (!a.parsed.isCa)
      throw new SecurityError('bad_ca', `the CA file holds ${a.parsed.commonName ?? 'a certificate'}, which is not a CA certificate`);
  }
  if (anchors.length === 1) return anchors[0]!;
  const parentOf = (a: Anchor) => anchors.find((p) => p !== a && issued(a, p));
  const roots = anchors.filter((a) => !parentOf(a));
  const lowest = anchors.filter((a) => !anchors.some((c) => c !== a && parentOf(c) === a));
  const linear = anchors.every((a) => anchors.filter((c) => c !== a && parentOf(c) === a).length <= 1);
  if (roots.length !== 1 || lowest.length !== 1 || !linear || !issued(roots[0]!, roots[0]!)) {
    throw new SecurityError(
      'bad_ca',
      `the CA file holds ${anchors.length} certificates that are not one chain to a root CA; keep only the CA that issues this collective's certificates (and the CAs above it)`,
    );
  }
  return lowest[0]!;
}

function fingerprintOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** The CN of a certificate's subject (the last one, as OpenSSL and Puppet read it). */
export function commonNameOf(cert: X509Certificate): string | undefined {
  let cn: string | undefined;
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) cn = line.slice(3);
  return cn;
}
