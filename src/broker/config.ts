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
import { brokerRoleOf, isBrokerCertificate, type BrokerRole } from './roles.js';
import { isSiteLayout, siteDomains, type SiteLayout } from './sites.js';

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
  /** The broker's site, cluster, gateways and leafnodes (broker/sites.ts); absent: a single broker. */
  layout?: SiteLayout;
  /** HOST:PORT of nats-server's monitoring endpoint (`/varz`, `/routez`, `/gatewayz`, `/leafz`); absent: none. */
  monitor?: string;
}

/** A broker certificate of the CA, which other brokers accept on routes, gateways and leafnodes. */
export interface BrokerPeer {
  name: string;
  pin: string;
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
  peers: BrokerPeer[];
  /** A hash of each part of the file nats-server cannot reload (it must restart to apply a change there). */
  restartKey: RestartKey;
}

/** Section name → hash of what the file says there. */
export type RestartKey = Record<string, string>;

const SETTINGS_MARK = '# troupe-broker-settings: ';
const RESTART_MARK = '# troupe-broker-restart-key: ';
const PENDING_MARK = '# troupe-broker-restart-pending: ';

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
    ...(settings.layout
      ? { site: settings.layout.site, localDomain: settings.layout.jetstreamDomain, siteDomains: siteDomains(settings.layout) }
      : {}),
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

/** The CA's signed, unrevoked broker certificates (this broker's own included): the peers routes, gateways and leafnodes admit. */
export function brokerPeers(settings: BrokerSettings): BrokerPeer[] {
  const ca = CertificateAuthority.open(settings.caDir);
  const peers: BrokerPeer[] = [];
  for (const status of ca.all()) {
    if (status.state !== 'signed') continue;
    const pem = ca.certificate(status.name);
    if (!pem) continue;
    const cert = new X509Certificate(pem);
    if (isBrokerCertificate(cert)) peers.push({ name: status.name, pin: spkiPin(cert) });
  }
  return peers;
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

interface Section {
  name: string;
  lines: string[];
  /** nats-server 2.9 applies a change here on SIGHUP; otherwise it refuses the whole reload and must restart. */
  reloads: boolean;
}

const tlsFiles = (settings: BrokerSettings, indent: string) => [
  `${indent}cert_file: ${q(settings.certFile)}`,
  `${indent}key_file: ${q(settings.keyFile)}`,
  `${indent}ca_file: ${q(resolve(settings.caDir, 'ca_crt.pem'))}`,
];

/** A TLS block admitting only the CA's broker certificates, by their pinned keys. */
function peerTls(settings: BrokerSettings, peers: readonly BrokerPeer[], indent: string, map = false): string[] {
  return [
    `${indent}tls {`,
    ...tlsFiles(settings, indent + '  '),
    `${indent}  ${map ? 'verify_and_map' : 'verify'}: true`,
    `${indent}  timeout: 5`,
    `${indent}  # Broker certificates only: ${peers.map((p) => p.name).join(', ')}`,
    `${indent}  pinned_certs: ${list(
      peers.map((p) => p.pin),
      indent + '  ',
    )}`,
    `${indent}}`,
  ];
}

function userLines(users: readonly BrokerUser[], indent: string): string[] {
  return users.flatMap((u) => [
    `${indent}# ${u.role} ${u.name}`,
    `${indent}{ user: ${q(`CN=${u.name}`)}, permissions: {`,
    `${indent}  publish: { allow: ${list(u.permissions.publish, indent + '  ')} }`,
    `${indent}  subscribe: { allow: ${list(u.permissions.subscribe, indent + '  ')} }`,
    `${indent}} }`,
  ]);
}

/** The application account the certificates' users are in, beside the system account, when the broker is in a site. */
export const APP_ACCOUNT = 'TROUPE';
export const SYSTEM_ACCOUNT = 'SYS';

function sections(settings: BrokerSettings, users: readonly BrokerUser[], peers: readonly BrokerPeer[]): Section[] {
  const layout = settings.layout;
  const out: Section[] = [];
  const server = [`listen: ${q(settings.listen)}`];
  if (layout) server.unshift(`server_name: ${q(layout.serverName)}`);
  if (settings.monitor) server.push(`http: ${q(settings.monitor)}`);
  out.push({ name: 'server', lines: server, reloads: false });
  out.push({ name: 'limits', lines: [`pid_file: ${q(settings.pidFile)}`, `max_payload: ${settings.maxPayload}`], reloads: true });
  out.push({
    name: 'tls',
    reloads: true,
    lines: [
      'tls {',
      ...tlsFiles(settings, '  '),
      '  # A client certificate of the CA is required and names its user; the pins keep revoked keys out.',
      '  verify_and_map: true',
      '  timeout: 5',
      `  pinned_certs: ${list(
        users.map((u) => u.pin),
        '  ',
      )}`,
      '}',
    ],
  });
  if (!layout) {
    out.push({
      name: 'users',
      reloads: true,
      lines: [
        '# No no_auth_user: a certificate whose name is not listed here cannot log in.',
        'authorization {',
        '  users: [',
        ...userLines(users, '    '),
        '  ]',
        '}',
      ],
    });
  } else {
    out.push({
      name: 'users',
      reloads: true,
      lines: [
        `# No no_auth_user: a certificate whose name is not listed here cannot log in. ${SYSTEM_ACCOUNT} is nats-server's own.`,
        'accounts {',
        `  ${APP_ACCOUNT}: {`,
        ...(settings.jetstreamDir ? ['    jetstream: enabled'] : []),
        '    users: [',
        ...userLines(users, '      '),
        '    ]',
        '  }',
        `  ${SYSTEM_ACCOUNT}: {}`,
        '}',
      ],
    });
    out.push({ name: 'system_account', lines: [`system_account: ${SYSTEM_ACCOUNT}`], reloads: false });
    if (layout.clusterListen) {
      out.push({
        name: 'cluster',
        reloads: true,
        lines: [
          `# The brokers of site ${layout.site}, joined by routes.`,
          'cluster {',
          `  name: ${q(layout.site)}`,
          `  listen: ${q(layout.clusterListen)}`,
          `  routes: ${list(layout.routes, '  ')}`,
          ...peerTls(settings, peers, '  '),
          '}',
        ],
      });
    }
    if (layout.gatewayListen) {
      out.push({
        name: 'gateway',
        reloads: false,
        lines: [
          `# Site ${layout.site} among the gateway sites (one supercluster).`,
          'gateway {',
          `  name: ${q(layout.site)}`,
          `  listen: ${q(layout.gatewayListen)}`,
          '  gateways: [',
          ...layout.gateways.map((g) => `    { name: ${q(g.name)}, urls: [${g.urls.map(q).join(', ')}] }`),
          '  ]',
          ...peerTls(settings, peers, '  '),
          '}',
        ],
      });
    }
    if (layout.leafnodeListen) {
      out.push({
        name: 'leafnodes',
        reloads: false,
        lines: [
          "# Leaf sites' brokers dial in here; each is a leafnode user of the application account, by its certificate.",
          'leafnodes {',
          `  listen: ${q(layout.leafnodeListen)}`,
          ...peerTls(settings, peers, '  ', true),
          '  authorization {',
          '    users: [',
          ...peers.map((p) => `      { user: ${q(`CN=${p.name}`)}, account: ${APP_ACCOUNT} }`),
          '    ]',
          '  }',
          '}',
        ],
      });
    }
    if (layout.leafRemotes.length > 0) {
      out.push({
        name: 'leafnodes',
        reloads: false,
        lines: [
          `# Leaf site ${layout.site}: it dials out to the hub with its broker certificate, and listens on nothing else.`,
          'leafnodes {',
          '  remotes: [',
          '    {',
          `      urls: ${list(layout.leafRemotes, '      ')}`,
          `      account: ${APP_ACCOUNT}`,
          '      tls {',
          ...tlsFiles(settings, '        '),
          '      }',
          '    }',
          '  ]',
          '}',
        ],
      });
    }
  }
  if (settings.jetstreamDir) {
    const domain = layout ? `, domain: ${q(layout.jetstreamDomain)}` : '';
    out.push({ name: 'jetstream', lines: [`jetstream { store_dir: ${q(settings.jetstreamDir)}${domain} }`], reloads: false });
  }
  return out;
}

function checkPeers(settings: BrokerSettings, peers: readonly BrokerPeer[]): void {
  const layout = settings.layout;
  if (!layout || !(layout.clusterListen || layout.gatewayListen || layout.leafnodeListen || layout.leafRemotes.length > 0)) return;
  const own = readCertificate(settings.certFile, 'broker certificate');
  if (!isBrokerCertificate(own))
    throw new BrokerConfigError('no_brokers', `${settings.certFile} is not a broker certificate, so the other brokers would refuse it`, {
      hint: 'issue one with `mco ca generate NAME --broker --alt-names HOST,IP` and pass it as --cert/--key',
    });
  if (peers.length === 0)
    throw new BrokerConfigError(
      'no_brokers',
      `the CA in ${settings.caDir} has no signed broker certificate to admit on routes, gateways and leafnodes`,
      {
        hint: 'issue them with `mco ca generate NAME --broker --alt-names HOST,IP`',
      },
    );
}

/** The restart key of a rendering: a hash of each section nats-server cannot reload. */
function restartKeyOf(settings: BrokerSettings, parts: readonly Section[]): RestartKey {
  const key: RestartKey = {};
  const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  for (const s of parts) if (!s.reloads && s.lines.length > 0) key[s.name] = hash(s.lines.join('\n'));
  // The cluster's name and port need a restart; its routes and pins reload.
  if (settings.layout?.clusterListen) key.cluster = hash(`${settings.layout.site} ${settings.layout.clusterListen}`);
  return key;
}

export interface RenderedBrokerConfig {
  text: string;
  restartKey: RestartKey;
}

/** The configuration's text; `pendingPid`: the broker of that pid still runs a file older than a change needing a restart. */
export function renderBrokerConfigWithKey(
  settings: BrokerSettings,
  users: readonly BrokerUser[],
  peers: readonly BrokerPeer[] = [],
  pendingPid?: number,
): RenderedBrokerConfig {
  if (users.length === 0) {
    // With no users nats-server would let in any certificate of the CA, with every permission.
    throw new BrokerConfigError(
      'no_users',
      `the CA in ${settings.caDir} has no signed certificate that may log in to the broker; sign the nodes' and operators' first`,
    );
  }
  checkPeers(settings, peers);
  const parts = sections(settings, users, peers);
  const restartKey = restartKeyOf(settings, parts);
  const nodes = users.filter((u) => u.role === 'node').length;
  const where = settings.layout
    ? ` Site ${settings.layout.site}, server ${settings.layout.serverName}, ${peers.length} broker certificates.`
    : '';
  const lines = [
    `# nats-server configuration for troupe, written by \`mco broker config\` from the CA in ${settings.caDir}:`,
    `# ${nodes} node and ${users.length - nodes} operator certificates.${where} Do not edit: \`mco broker reload\`, \`mco ca revoke\``,
    '# and `mco ca sign` rewrite it from the settings below and the CA, then signal the broker to reload.',
    SETTINGS_MARK + JSON.stringify(settings),
    RESTART_MARK + JSON.stringify(restartKey),
    ...(pendingPid !== undefined ? [PENDING_MARK + String(pendingPid)] : []),
  ];
  for (const part of parts) if (part.lines.length > 0) lines.push('', ...part.lines);
  return { text: lines.join('\n') + '\n', restartKey };
}

export function renderBrokerConfig(settings: BrokerSettings, users: readonly BrokerUser[], peers: readonly BrokerPeer[] = []): string {
  return renderBrokerConfigWithKey(settings, users, peers).text;
}

/** Writes the configuration for `settings` to `file` (atomically: a broker reloading meanwhile reads old or new). */
export function writeBrokerConfig(
  file: string,
  settings: BrokerSettings,
  pendingPid?: (restartKey: RestartKey) => number | undefined,
): WrittenBrokerConfig {
  const users = brokerUsers(settings);
  const peers = settings.layout ? brokerPeers(settings) : [];
  let rendered = renderBrokerConfigWithKey(settings, users, peers);
  const pending = pendingPid?.(rendered.restartKey);
  if (pending !== undefined) rendered = renderBrokerConfigWithKey(settings, users, peers, pending);
  const { text, restartKey } = rendered;
  ensureDir(dirname(file), PUBLIC_DIR);
  // Public: it holds names, public-key pins and paths, no secret.
  writeFileAtomic(file, text, PUBLIC_FILE);
  return { file, users, peers, restartKey };
}

/** What an existing file says about restarts: its restart key and the pid of a broker known to run an older file. */
export function readRestartState(file: string): { restartKey?: RestartKey; pendingPid?: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const key = lines.find((l) => l.startsWith(RESTART_MARK));
  const pending = lines.find((l) => l.startsWith(PENDING_MARK));
  let restartKey: RestartKey | undefined;
  try {
    const parsed: unknown = key ? JSON.parse(key.slice(RESTART_MARK.length)) : undefined;
    if (typeof parsed === 'object' && parsed !== null && Object.values(parsed).every((v) => typeof v === 'string'))
      restartKey = parsed as RestartKey;
  } catch {
    restartKey = undefined;
  }
  const pid = pending ? Number(pending.slice(PENDING_MARK.length)) : NaN;
  return { restartKey, pendingPid: Number.isInteger(pid) ? pid : undefined };
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
    [v.governors, v.nodeGovernors].every((l) => l === undefined || (Array.isArray(l) && l.every((g) => typeof g === 'string'))) &&
    (v.layout === undefined || isSiteLayout(v.layout)) &&
    (v.monitor === undefined || typeof v.monitor === 'string')
  );
}

/** Rewrites `file` from the settings it records and the CA as it is now. */
export function regenerateBrokerConfig(file: string): WrittenBrokerConfig {
  return writeBrokerConfig(file, readBrokerSettings(file));
}
