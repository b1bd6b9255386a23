// A nats-server configuration whose users are the troupe CA's certificates (`mco broker config`).
//
// The broker requires a client certificate of the CA and maps it to a user by its subject (`verify_and_map`): one
// user per signed, unrevoked certificate, named `CN=<certname>`, with the permissions of its role. A certificate
// whose name is not listed cannot log in. The public keys of the same certificates are pinned, so a revoked
// certificate stays locked out when its name is issued again with a new key. The file records the settings it was
// written with, so it can be rewritten from the CA alone after a revoke or a signature (regenerateBrokerConfig).
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CertificateAuthority } from '../security/ca/authority.js';
import { ensureDir, PUBLIC_DIR, PUBLIC_FILE, writeFileAtomic } from '../security/ca/files.js';
import { BrokerConfigError } from './errors.js';
import { permissionsFor, type SubjectPermissions } from './permissions.js';
import { brokerRoleOf, type BrokerRole } from './roles.js';

export interface BrokerSettings {
  /** The troupe CA's directory: its certificate, signed certificates and revocations. */
  caDir: string;
  /** HOST:PORT the broker listens on for clients. */
  listen: string;
  /** The broker's own certificate and key (issued for the names clients use in middleware_hosts). */
  certFile: string;
  keyFile: string;
  collectives: string[];
  registryBucket: string;
  /** Source of the regular expression naming operator certificates (`plugin.security.client_pattern`). */
  operatorPattern: string;
  /** Where nats-server writes its pid, read to signal a reload. */
  pidFile: string;
  /** JetStream's store directory (the registry lives there); empty: JetStream off. */
  jetstreamDir: string;
  /** Largest message in bytes the broker takes. */
  maxPayload: number;
  /** The plan runs' bucket operators may use (`plan_bucket`); absent in files written before plans. */
  planBucket?: string;
  /** Governors operators may add, use and remove. */
  governors?: string[];
  /** Governors nodes may take slots of (and operators use). */
  nodeGovernors?: string[];
  /** Operator certificates that are web consoles (`mco web`): they may also use the web bucket. */
  webConsoles?: string[];
  /** The web consoles' job history bucket (`web.jobs_bucket`). */
  webBucket?: string;
}

export interface BrokerUser {
  name: string;
  role: BrokerRole;
  /** Hex SHA-256 of the certificate's SubjectPublicKeyInfo, as nats-server's pinned_certs wants it. */
  pin: string;
  permissions: SubjectPermissions;
}

export interface WrittenBrokerConfig {
  file: string;
  users: BrokerUser[];
}

const SETTINGS_MARK = '# troupe-broker-settings: ';

function operatorRegExp(source: string): RegExp {
  if (!source)
    throw new BrokerConfigError(
      'bad_settings',
      'plugin.security.client_pattern is empty, so operator and node certificates cannot be told apart on the broker',
    );
  try {
    return new RegExp(source);
  } catch (err) {
    throw new BrokerConfigError('bad_settings', `plugin.security.client_pattern is not a regular expression: ${(err as Error).message}`);
  }
}

function spkiPin(cert: X509Certificate): string {
  return createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** One user per signed, unrevoked certificate of the CA that may log in to a broker; the broker's own excluded. */
export function brokerUsers(settings: BrokerSettings): BrokerUser[] {
  const ca = CertificateAuthority.open(settings.caDir);
  const rules = { operatorPattern: operatorRegExp(settings.operatorPattern) };
  const scope = {
    collectives: settings.collectives,
    registryBucket: settings.registryBucket,
    planBucket: settings.planBucket,
    governors: settings.governors,
    nodeGovernors: settings.nodeGovernors,
  };
  const own = readCertificate(settings.certFile, 'broker certificate').fingerprint256;
  const users: BrokerUser[] = [];
  for (const status of ca.all()) {
    if (status.state !== 'signed') continue;
    const pem = ca.certificate(status.name);
    if (!pem) continue;
    const cert = new X509Certificate(pem);
    if (cert.fingerprint256 === own) continue;
    const role = brokerRoleOf(status.name, cert, rules);
    if (!role) continue;
    const web =
      role === 'operator' && settings.webConsoles?.includes(status.name) ? { webBucket: settings.webBucket ?? 'troupe_web_jobs' } : {};
    users.push({ name: status.name, role, pin: spkiPin(cert), permissions: permissionsFor(role, status.name, { ...scope, ...web }) });
  }
  return users;
}

function readCertificate(file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(readFileSync(file));
  } catch (err) {
    throw new BrokerConfigError(
      'unreadable',
      `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
}

/** A quoted string in nats-server's configuration syntax (JSON's quoting is a subset it reads). */
const q = (value: string) => JSON.stringify(value);
const list = (values: readonly string[], indent: string) => `[\n${values.map((v) => `${indent}  ${q(v)}`).join(',\n')}\n${indent}]`;

export function renderBrokerConfig(settings: BrokerSettings, users: readonly BrokerUser[]): string {
  if (users.length === 0) {
    // With no users nats-server would let in any certificate of the CA, with every permission.
    throw new BrokerConfigError(
      'no_users',
      `the CA in ${settings.caDir} has no signed certificate that may log in to the broker; sign the nodes' and operators' first`,
    );
  }
  const nodes = users.filter((u) => u.role === 'node').length;
  const lines = [
    `# nats-server configuration for troupe, written by \`mco broker config\` from the CA in ${settings.caDir}:`,
    `# ${nodes} node and ${users.length - nodes} operator certificates. Do not edit: \`mco broker reload\`, \`mco ca revoke\` and \`mco ca sign\``,
    '# rewrite it from the settings below and the CA, then signal the broker to reload.',
    SETTINGS_MARK + JSON.stringify(settings),
    '',
    `listen: ${q(settings.listen)}`,
    `pid_file: ${q(settings.pidFile)}`,
    `max_payload: ${settings.maxPayload}`,
    '',
    'tls {',
    `  cert_file: ${q(settings.certFile)}`,
    `  key_file: ${q(settings.keyFile)}`,
    `  ca_file: ${q(resolve(settings.caDir, 'ca_crt.pem'))}`,
    '  # A client certificate of the CA is required and names its user; the pins keep revoked keys out.',
    '  verify_and_map: true',
    '  timeout: 5',
    `  pinned_certs: ${list(
      users.map((u) => u.pin),
      '  ',
    )}`,
    '}',
    '',
    '# No no_auth_user: a certificate whose name is not listed here cannot log in.',
    'authorization {',
    '  users: [',
  ];
  for (const u of users) {
    lines.push(
      `    # ${u.role} ${u.name}`,
      `    { user: ${q(`CN=${u.name}`)}, permissions: {`,
      `      publish: { allow: ${list(u.permissions.publish, '      ')} }`,
      `      subscribe: { allow: ${list(u.permissions.subscribe, '      ')} }`,
      '    } }',
    );
  }
  lines.push('  ]', '}');
  if (settings.jetstreamDir) lines.push('', `jetstream { store_dir: ${q(settings.jetstreamDir)} }`);
  return lines.join('\n') + '\n';
}

/** Writes the configuration for `settings` to `file` (atomically: a broker reloading meanwhile reads old or new). */
export function writeBrokerConfig(file: string, settings: BrokerSettings): WrittenBrokerConfig {
  const users = brokerUsers(settings);
  const text = renderBrokerConfig(settings, users);
  ensureDir(dirname(file), PUBLIC_DIR);
  // Public: it holds names, public-key pins and paths, no secret.
  writeFileAtomic(file, text, PUBLIC_FILE);
  return { file, users };
}

/** The settings a file written by writeBrokerConfig records. */
export function readBrokerSettings(file: string): BrokerSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BrokerConfigError(
      'unreadable',
      `cannot read the broker configuration ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  const line = text.split('\n').find((l) => l.startsWith(SETTINGS_MARK));
  if (!line)
    throw new BrokerConfigError(
      'not_generated',
      `${file} was not written by \`mco broker config\` (no settings line); write it with that command first`,
    );
  let settings: unknown;
  try {
    settings = JSON.parse(line.slice(SETTINGS_MARK.length));
  } catch (err) {
    throw new BrokerConfigError(
      'not_generated',
      `the settings line of ${file} is damaged (${(err as Error).message}); write the file again with \`mco broker config\``,
    );
  }
  if (!isSettings(settings))
    throw new BrokerConfigError(
      'not_generated',
      `the settings line of ${file} is incomplete; write the file again with \`mco broker config\``,
    );
  return settings;
}

const STRING_SETTINGS = ['caDir', 'listen', 'certFile', 'keyFile', 'registryBucket', 'operatorPattern', 'pidFile', 'jetstreamDir'] as const;

function isSettings(value: unknown): value is BrokerSettings {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    STRING_SETTINGS.every((k) => typeof v[k] === 'string') &&
    Array.isArray(v.collectives) &&
    v.collectives.every((c) => typeof c === 'string') &&
    Number.isInteger(v.maxPayload) &&
    (v.planBucket === undefined || typeof v.planBucket === 'string') &&
    (v.webBucket === undefined || typeof v.webBucket === 'string') &&
    (v.webConsoles === undefined || (Array.isArray(v.webConsoles) && v.webConsoles.every((g) => typeof g === 'string'))) &&
    [v.governors, v.nodeGovernors].every((l) => l === undefined || (Array.isArray(l) && l.every((g) => typeof g === 'string')))
  );
}

/** Rewrites `file` from the settings it records and the CA as it is now. */
export function regenerateBrokerConfig(file: string): WrittenBrokerConfig {
  return writeBrokerConfig(file, readBrokerSettings(file));
}
