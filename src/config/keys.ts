import os from 'node:os';
import type { KeySpec, KeyTable } from './key-spec.js';
import { DOMAIN_NAME, NAMESERVER_ADDRESS } from './domain.js';
// Each plugin's keys, declared beside it in its config-keys.ts, which imports nothing but key-spec.ts
// (test/unit/architecture/imports.test.ts holds both to that).
import { BROKER_TLS_KEYS, NATS_KEYS, REGISTRY_BUCKET_KEYS, REGISTRY_KEYS } from '../transport/config-keys.js';
import { PLAN_KEYS } from '../plan/config-keys.js';
import { AMQP_KEYS } from '../transport/amqp/config-keys.js';
import { SECURITY_KEYS } from '../security/providers/config-keys.js';
import { CA_KEYS } from '../security/ca/config-keys.js';
import { BROKER_KEYS } from '../broker/config-keys.js';
import { DISCOVERY_KEYS } from '../client/discovery/config-keys.js';
import { FACT_KEYS } from '../plugins/facts/config-keys.js';
import { PUPPET_KEYS } from '../plugins/agents/puppet/config-keys.js';
import { WEB_KEYS } from '../web/config-keys.js';
import { METRICS_KEYS } from '../server/config-keys.js';

export type { ComputedDefault, ConfigScope, KeySpec, KeyTable, KeyType } from './key-spec.js';

/**
 * Every configuration key troupe understands, declared once: the process-wide keys here, each plugin's beside it.
 * Parsing, typed access, validation and the README's reference table are all derived from this object, in this
 * order (computed defaults may read keys declared above them).
 */

const CORE_CONNECTION = {
  identity: {
    type: 'string',
    default: () => os.hostname(),
    defaultDoc: 'host name',
    // It becomes part of the node's direct-addressing subject, so no whitespace or wildcards.
    pattern: /^[^\s*>]+$/,
    patternDoc: 'string without spaces, * or >',
    scope: 'both',
    description: 'Name of this node (server) or of the sender (client) on the network.',
  },
  collectives: {
    type: 'list',
    default: ['mcollective'],
    nonEmpty: true,
    // Each collective is one subject token: `<collective>.broadcast.agent.<agent>`.
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'names (letters, digits, _ and -)',
    scope: 'both',
    description: 'Collectives (sub-collectives) this process joins, comma-separated.',
  },
  main_collective: {
    type: 'string',
    default: (resolved) => (resolved['collectives'] as readonly string[])[0] ?? 'mcollective',
    defaultDoc: 'first of `collectives`',
    scope: 'both',
    description: 'Collective used when none is named; must be one of `collectives`.',
  },
  connector: {
    type: 'enum',
    values: ['nats', 'amqp'],
    default: 'nats',
    scope: 'both',
    description: 'Broker protocol: NATS or RabbitMQ (AMQP 0-9-1).',
  },
  middleware_hosts: {
    type: 'list',
    item: 'url',
    default: ['nats://127.0.0.1:4222'],
    nonEmpty: true,
    scope: 'both',
    description: 'Broker URLs, comma-separated, tried in order; when set, they win over `use_srv`.',
  },
} as const satisfies KeyTable;

/** `srv_domain` may be left empty: the host's own domain. */
const OPTIONAL_DOMAIN_NAME = new RegExp(`^$|${DOMAIN_NAME.source}`);

/** Brokers and the CA service found by DNS SRV (config/srv.ts). */
const CORE_SRV = {
  use_srv: {
    type: 'boolean',
    default: false,
    scope: 'both',
    description:
      'Find the NATS brokers by DNS SRV (`_troupe-server._tcp`, then `_mcollective-server._tcp`, then `_x-puppet-mcollective._tcp` in `srv_domain`; the first name with records wins, in RFC 2782 order) when `middleware_hosts` is not set, and the CA service by `_x-puppet-ca._tcp`, then `_x-puppet._tcp`, when `plugin.security.ca_url` is not set.',
  },
  srv_domain: {
    type: 'string',
    default: '',
    defaultDoc: "the host's domain (Facter's `networking.domain` on a node, else the host name's)",
    pattern: OPTIONAL_DOMAIN_NAME,
    patternDoc: 'a DNS domain name (labels of letters, digits, - and _, dot-separated)',
    scope: 'both',
    description: 'Domain the SRV records of `use_srv` are looked up in.',
  },
  srv_nameserver: {
    type: 'list',
    default: [],
    defaultDoc: 'the system resolver',
    pattern: NAMESERVER_ADDRESS,
    patternDoc: 'HOST:PORT addresses (IPv4, or [IPv6]:PORT)',
    scope: 'both',
    description: 'DNS servers, comma-separated, that answer the SRV queries of `use_srv`.',
  },
  srv_timeout: {
    type: 'number',
    min: 0.1,
    max: 60,
    default: 2,
    scope: 'both',
    description: 'Seconds one SRV query may take (tried twice) before the lookup counts as failed.',
  },
} as const satisfies KeyTable;

const CORE_SECURITY = {
  securityprovider: {
    type: 'enum',
    values: ['insecure', 'pki'],
    default: 'pki',
    scope: 'both',
    description:
      'How messages are signed and verified: X.509 certificates (pki), or `insecure` for local experiments only (unsigned; nodes log a warning).',
  },
} as const satisfies KeyTable;

const CORE_POLICY = {
  'plugin.actionpolicy.dir': {
    type: 'path',
    default: '',
    defaultDoc: '`policies` beside the config file',
    scope: 'server',
    description: 'ActionPolicy files (`<agent>.policy`, `default.policy`) and the `groups` file.',
  },
  'plugin.actionpolicy.allow_unconfigured': {
    type: 'boolean',
    default: false,
    scope: 'server',
    description: "Agents without a policy file allow everything; off, only discovery and rpcutil's read-only actions.",
  },
  'plugin.rpcaudit.log_values': {
    type: 'boolean',
    default: false,
    scope: 'server',
    description: 'Audit lines show input values; off, they show the input names with values `[redacted]`.',
  },
} as const satisfies KeyTable;

const CORE_RUNTIME = {
  plugindirs: {
    type: 'pathlist',
    default: [],
    scope: 'client',
    description:
      'Extra directories of agent DDLs (`<agent>/<agent>.ddl.json`), separated by `:` or `,` and searched before the built-in ones: `mco` validates inputs, shows results and documents agents (`mco plugin doc`) by them. Nodes load no agent code from them.',
  },
  logfile: {
    type: 'path',
    default: '',
    defaultDoc: 'stderr',
    scope: 'both',
    description: 'File receiving JSON log lines; empty means standard error.',
  },
  loglevel: {
    type: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    default: 'info',
    scope: 'both',
    description: 'Lowest level of log lines written.',
  },
  ttl: {
    type: 'integer',
    min: 1,
    default: 60,
    scope: 'both',
    description: 'Seconds a request stays valid after it is made; nodes honour at most their `plugin.security.max_ttl`.',
  },
  max_message_size: {
    type: 'integer',
    min: 1024,
    default: 1048576,
    scope: 'both',
    description: 'Largest message in bytes accepted or sent.',
  },
  registerinterval: {
    type: 'integer',
    min: 0,
    default: 300,
    scope: 'server',
    description:
      "Seconds between a node's registration records in the registry (also sent on start and when facts change); 0 turns registration off.",
  },
  registration_splay: {
    type: 'number',
    min: 0,
    default: 10,
    scope: 'server',
    description:
      "Longest random delay in seconds before a node's first registration, and its next after a reconnect, so a restarted fleet does not register all at once.",
  },
} as const satisfies KeyTable;

const CORE_AUDIT = {
  rpcaudit: {
    type: 'boolean',
    default: false,
    scope: 'server',
    description: 'Write one audit line per request received.',
  },
  'plugin.rpcaudit.logfile': {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'server',
    description: 'File receiving audit lines when `rpcaudit` is on.',
  },
  rpcauthorization: {
    type: 'boolean',
    default: true,
    scope: 'server',
    description: "Check each request against the agent's action policy before running it.",
  },
} as const satisfies KeyTable;

const CORE_CLIENT = {
  direct_addressing_threshold: {
    type: 'integer',
    min: 0,
    default: 10,
    scope: 'client',
    description: 'Send per-node messages when this many nodes or fewer are addressed; broadcast above.',
  },
  rpclimitmethod: {
    type: 'enum',
    values: ['first', 'random'],
    default: 'first',
    scope: 'client',
    description: 'Which nodes `--limit` keeps: the first to answer discovery, or a random pick.',
  },
  color: {
    type: 'boolean',
    default: true,
    scope: 'client',
    description: 'Colour terminal output.',
  },
} as const satisfies KeyTable;

const KEYS = {
  ...CORE_CONNECTION,
  ...CORE_SRV,
  ...NATS_KEYS,
  ...AMQP_KEYS,
  ...BROKER_TLS_KEYS,
  ...CORE_SECURITY,
  ...SECURITY_KEYS,
  ...CORE_POLICY,
  ...CA_KEYS,
  ...BROKER_KEYS,
  ...FACT_KEYS,
  ...CORE_RUNTIME,
  ...REGISTRY_BUCKET_KEYS,
  ...PLAN_KEYS,
  ...REGISTRY_KEYS,
  ...CORE_AUDIT,
  ...METRICS_KEYS,
  ...DISCOVERY_KEYS,
  ...CORE_CLIENT,
  ...PUPPET_KEYS,
  ...WEB_KEYS,
} satisfies Record<string, KeySpec>;

export const KEY_SPECS: Readonly<Record<ConfigKey, KeySpec>> = KEYS;

/**
 * One key's declaration with its literal types (`keySpec('plugin.puppet.splay').default` is `true`), for code that
 * reads a key's text itself, as a plugin does with the settings of each node, and must not restate its default.
 */
export function keySpec<K extends ConfigKey>(key: K): (typeof KEYS)[K] {
  return KEYS[key];
}

export type ConfigKey = keyof typeof KEYS;

type ValueOfSpec<S> = S extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : S extends { type: 'integer' | 'number' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'list' | 'pathlist' }
        ? string[]
        : string;

/** The TypeScript type of a key's parsed value, e.g. `ConfigValue<'ttl'>` is `number`. */
export type ConfigValue<K extends ConfigKey> = ValueOfSpec<(typeof KEYS)[K]>;

export type ConfigKeyDeclaration = KeySpec & { readonly name: ConfigKey };

/** All declarations in declaration order; computed defaults rely on this order. */
export const CONFIG_KEYS: readonly ConfigKeyDeclaration[] = Object.freeze(
  (Object.keys(KEYS) as ConfigKey[]).map((name) => Object.freeze({ name, ...KEYS[name] }) as ConfigKeyDeclaration),
);

export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(KEYS, key);
}
