// A throwaway PKI for the demo, the tests and the benchmark: a CA (made by the same code as `mco ca init`)
// and an ssldir holding node, client and broker certificates, plus the config lines that use them.
//
//   const pki = await createDevPki({ nodes: ['node1'], clients: ['ops.troupe'], broker: true });
//   server.cfg ← pki.serverConfig('node1')      client.cfg ← pki.clientConfig('ops.troupe')
//   broker ← startTroupeBroker(pki) (devkit/broker.ts): users and permissions from this CA, as `mco broker config`
//   pki.cleanup() when done
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../security/ca/authority.js';
import { writeSsldir } from '../security/ca/export.js';
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, type KeyType } from '../security/pki/keys.js';
import { issueCertificate, type CertificateProfile } from '../security/pki/x509.js';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_FILE, writeFileAtomic } from '../security/ca/files.js';

const DAY = 86_400_000;

export interface DevPkiOptions {
  /** Parent directory; a fresh temporary one when omitted. */
  dir?: string;
  /** Node certificates (server and client TLS use, but no operator role: they cannot send requests), named by identity. */
  nodes?: readonly string[];
  /**
   * Operator (client) certificates, with the operator role nodes require; names must also match
   * `plugin.security.client_pattern` (e.g. `ops.troupe`).
   */
  clients?: readonly string[];
  /** Keys of nodes and clients: Ed25519 by default (cheap to make and to sign with). */
  keyType?: KeyType;
  /** The CA's key: RSA by default (fast to verify, as a Puppet CA). */
  caKeyType?: KeyType;
  /** Also issue `broker`, valid for 127.0.0.1 and localhost, for a TLS nats-server. */
  broker?: boolean;
}

export interface IssueOptions {
  profile?: CertificateProfile;
  keyType?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
  altNames?: readonly string[];
}

export class DevPki {
  readonly caDir: string;
  /** Puppet-layout ssldir with every certificate issued here. */
  readonly ssldir: string;
  private readonly caKeyPem: string;

  private constructor(
    readonly dir: string,
    readonly ca: CertificateAuthority,
    private readonly keyType: KeyType,
  ) {
    this.caDir = join(dir, 'ca');
    this.ssldir = join(dir, 'ssl');
    this.caKeyPem = readFileSync(join(this.caDir, 'ca_key.pem'), 'utf8');
  }

  static create(opts: DevPkiOptions = {}): DevPki {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'troupe-pki-'));
    const ca = CertificateAuthority.init(join(dir, 'ca'), { commonName: 'Troupe Dev CA', keyType: opts.caKeyType ?? 'rsa' });
    const pki = new DevPki(dir, ca, opts.keyType ?? 'ed25519');
    pki.refreshSsldirCa();
    for (const n of opts.nodes ?? []) pki.issue(n, { profile: 'node' });
    for (const c of opts.clients ?? []) pki.issue(c, { profile: 'client' });
    if (opts.broker) pki.issue('broker', { profile: 'server', altNames: ['127.0.0.1', 'localhost'] });
    return pki;
  }

  private refreshSsldirCa(): void {
    ensureDir(join(this.ssldir, 'certs'), 0o755);
    ensureDir(join(this.ssldir, 'private_keys'), PRIVATE_DIR);
    writeFileAtomic(join(this.ssldir, 'certs', 'ca.pem'), this.ca.certificatePem, PUBLIC_FILE);
    writeFileAtomic(join(this.ssldir, 'crl.pem'), this.ca.crlPem(), PUBLIC_FILE);
  }

  certPath(name: string): string {
    return join(this.ssldir, 'certs', `${name}.pem`);
  }

  keyPath(name: string): string {
    return join(this.ssldir, 'private_keys', `${name}.pem`);
  }

  get caPath(): string {
    return join(this.ssldir, 'certs', 'ca.pem');
  }

  get crlPath(): string {
    return join(this.ssldir, 'crl.pem');
  }

  /**
   * Issues a key and certificate into the ssldir. With chosen dates the certificate is made outside the
   * CA's records (an expired one for a test), otherwise through `mco ca generate`'s code, so it can be revoked by name.
   */
  issue(name: string, opts: IssueOptions = {}): { cert: string; key: string } {
    const keyType = opts.keyType ?? this.keyType;
    const profile = opts.profile ?? 'node';
    let issued: { keyPem: string; certificatePem: string };
    if (opts.notBefore || opts.notAfter) {
      const pair = generateKeyPair(keyType);
      const certificatePem = this.ca.issueUnlisted(name, pair.publicKey, {
        profile,
        altNames: opts.altNames,
        notBefore: opts.notBefore,
        notAfter: opts.notAfter,
      });
      issued = { keyPem: privateKeyToPem(pair.privateKey), certificatePem };
    } else {
      issued = this.ca.generate(name, { keyType, profile, altNames: opts.altNames });
    }
    writeSsldir(this.ssldir, name, issued, this.ca.certificatePem, this.ca.crlPem());
    return { cert: this.certPath(name), key: this.keyPath(name) };
  }

  /**
   * Many node certificates at once (a simulated fleet): signed directly with the CA key, without the CA's
   * per-certificate bookkeeping, which would dominate for thousands of names.
   */
  issueFleet(names: readonly string[], keyType: KeyType = this.keyType): void {
    const issuer = { certificatePem: this.ca.certificatePem, privateKey: privateKeyFromPem(this.caKeyPem) };
    const now = Date.now();
    for (const name of names) {
      const pair = generateKeyPair(keyType);
      const cert = issueCertificate(
        {
          commonName: name,
          publicKey: pair.publicKey,
          profile: 'node',
          notBefore: new Date(now - DAY),
          notAfter: new Date(now + 365 * DAY),
        },
        issuer,
      );
      writeFileAtomic(this.keyPath(name), privateKeyToPem(pair.privateKey), PRIVATE_FILE);
      writeFileAtomic(this.certPath(name), cert, PUBLIC_FILE);
    }
  }

  /** Revokes `name` and updates the ssldir's crl.pem (nodes pick it up on their next CRL refresh). */
  revoke(name: string): void {
    this.ca.revoke(name);
    this.refreshSsldirCa();
  }

  /** Config lines for a node daemon or simulator (identity = certificate name). */
  serverConfig(extra: Record<string, string | number> = {}): Record<string, string | number> {
    return { securityprovider: 'pki', 'plugin.security.ssldir': this.ssldir, ...extra };
  }

  /** Config lines for `mco` acting as `name`. */
  clientConfig(name: string, extra: Record<string, string | number> = {}): Record<string, string | number> {
    return { securityprovider: 'pki', 'plugin.security.ssldir': this.ssldir, 'plugin.security.certname': name, ...extra };
  }

  /** Config lines for mutual TLS to the broker as `name`. */
  tlsConfig(name: string): Record<string, string> {
    return { tls_ca: this.caPath, tls_cert: this.certPath(name), tls_key: this.keyPath(name) };
  }

  /** Config lines for mutual TLS to the broker with each node's own certificate (`{identity}`: a daemon's, or each of a simulated fleet). */
  fleetTlsConfig(): Record<string, string> {
    return { tls_ca: this.caPath, tls_cert: this.certPath('{identity}'), tls_key: this.keyPath('{identity}') };
  }

  /** A nats-server `tls` block requiring client certificates from this CA, the broker presenting `certName`'s (`broker` needs `broker: true`). */
  natsTlsConfig(certName = 'broker'): string {
    return `tls {\n  cert_file: "${this.certPath(certName)}"\n  key_file: "${this.keyPath(certName)}"\n  ca_file: "${this.caPath}"\n  verify: true\n  timeout: 5\n}\n`;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function createDevPki(opts: DevPkiOptions = {}): DevPki {
  return DevPki.create(opts);
}

/** `key = value` lines of a config file. */
export function configText(entries: Record<string, string | number>): string {
  return (
    Object.entries(entries)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n'
  );
}
