import os from 'node:os';
import type { KeySpec, KeyTable } from './key-spec.js';
// Each plugin's keys, declared beside it in its config-keys.ts, which imports nothing but key-spec.ts
// (test/unit/architecture/imports.test.ts holds both to that).
import { BROKER_TLS_KEYS, NATS_KEYS } from '../transport/config-keys.js';
import { AMQP_KEYS } from '../transport/amqp/config-keys.js';
import { SECURITY_KEYS } from '../security/providers/config-keys.js';
import { FACT_KEYS } from '../plugins/facts/config-keys.js';
import { PUPPET_KEYS } from '../plugins/agents/puppet/config-keys.js';

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
    description: 'Broker URLs, comma-separated, tried in order.',
  },
} as const satisfies KeyTable;

const CORE_SECURITY = {
  securityprovider: {
    type: 'enum',
    values: ['insecure', 'pki'],
    default: 'pki',
    scope: 'both',
    description: 'How messages are signed and verified: X.509 certificates (pki), or `insecure` for local experiments only (unsigned; nodes log a warning).',
  },
} as const satisfies KeyTable;

const CORE_SERVICES = {
  'plugin.actionpolicy.dir': { type: 'path', default: '', defaultDoc: '`policies` beside the config file', scope: 'server', description: 'ActionPolicy files (`<agent>.policy`, `default.policy`) and the `groups` file.' },
  'plugin.actionpolicy.allow_unconfigured': { type: 'boolean', default: false, scope: 'server', description: 'Agents without a policy file allow everything; off, only discovery and rpcutil\'s read-only actions.' },
  'plugin.rpcaudit.log_values': { type: 'boolean', default: false, scope: 'server', description: 'Audit lines show input values; off, they show the input names with values `[redacted]`.' },
  // The certificate authority (`mco ca …`).
  'plugin.ca.dir': { type: 'path', default: '/var/lib/troupe/ca', scope: 'both', description: 'Directory of the CA (`mco ca init|generate|serve|list|sign|revoke|clean`).' },
  'plugin.ca.listen': { type: 'string', default: '0.0.0.0:8140', scope: 'both', description: 'Address and port `mco ca serve` listens on.' },
  'plugin.ca.hostnames': { type: 'list', default: [], defaultDoc: 'host name, localhost, 127.0.0.1', scope: 'both', description: 'Names (DNS or IP) in the CA service\'s TLS certificate.' },
  'plugin.ca.max_pending': { type: 'integer', min: 1, default: 1000, scope: 'both', description: 'Pending certificate requests the CA keeps at most; further submissions get HTTP 503 until the operator signs or cleans.' },
  'plugin.ca.rate_limit': { type: 'integer', min: 1, default: 600, scope: 'both', description: 'Requests per minute `mco ca serve` answers from one IP address (HTTP 429 beyond).' },
  'plugin.ca.submit_rate_limit': { type: 'integer', min: 1, default: 30, scope: 'both', description: 'Certificate requests per minute `mco ca serve` accepts from one IP address (HTTP 429 beyond).' },
  'plugin.ca.validity_days': { type: 'integer', min: 1, default: 1825, scope: 'both', description: 'Days a certificate issued by the CA is valid.' },
  // The broker's nats-server configuration (`mco broker config|reload`), written on the CA host.
  'plugin.broker.config_file': { type: 'path', default: '', defaultDoc: 'none', scope: 'client', description: 'nats-server configuration written by `mco broker config`; when set, `mco ca sign|revoke|generate` rewrite it from the CA and signal the broker to reload.' },
  'plugin.broker.listen': { type: 'string', default: '0.0.0.0:4222', scope: 'client', description: 'HOST:PORT the broker listens on for clients (`mco broker config`).' },
  'plugin.broker.cert': { type: 'path', default: '', defaultDoc: 'none (required)', scope: 'client', description: 'The broker\'s TLS certificate, issued by the troupe CA for the names in `middleware_hosts` (`mco ca generate NAME --alt-names …`).' },
  'plugin.broker.key': { type: 'path', default: '', defaultDoc: 'none (required)', scope: 'client', description: 'Private key of `plugin.broker.cert`.' },
  'plugin.broker.pid_file': { type: 'path', default: '', defaultDoc: '`nats-server.pid` beside `plugin.broker.config_file`', scope: 'client', description: 'Where the broker writes its pid; the reload signal goes to it.' },
  'plugin.broker.jetstream_dir': { type: 'path', default: '/var/lib/troupe/jetstream', scope: 'client', description: 'JetStream store of the broker (it holds the registry); empty turns JetStream off.' },
  'plugin.broker.max_payload': { type: 'integer', min: 1024, default: 2097152, scope: 'client', description: 'Largest message in bytes the broker takes; keep it above `max_message_size`.' },
} as const satisfies KeyTable;

const CORE_RUNTIME = {
  plugindirs: {
    type: 'pathlist',
    default: [],
    scope: 'both',
    description: 'Extra directories holding agents (DDL and code), separated by `:` or `,`.',
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
    description: 'Seconds between a node\'s registration records in the registry (also sent on start and when facts change); 0 turns registration off.',
  },
  registration_splay: {
    type: 'number',
    min: 0,
    default: 10,
    scope: 'server',
    description: 'Longest random delay in seconds before a node\'s first registration, and its next after a reconnect, so a restarted fleet does not register all at once.',
  },
  registry_bucket: {
    type: 'string',
    default: 'troupe_registry',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'both',
    description: 'JetStream key-value bucket holding the registry (one key per node identity).',
  },
  registry_max_age: {
    type: 'integer',
    min: 1,
    default: 900,
    scope: 'server',
    description: 'Seconds after its last registration a node\'s record expires (it counts as gone); keep it above 2 × registerinterval. Applied by the node that creates the bucket.',
  },
  registry_replicas: {
    type: 'integer',
    min: 1,
    max: 5,
    default: 1,
    scope: 'server',
    description: 'Copies of the registry a JetStream cluster keeps (1, 3 or 5); 3 survives the loss of one broker. Applied by the node that creates the bucket.',
  },
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
    description: 'Check each request against the agent\'s action policy before running it.',
  },
  discovery_timeout: {
    type: 'number',
    min: 0,
    default: 2,
    scope: 'client',
    description: 'Longest time in seconds broadcast discovery waits for replies.',
  },
  discovery_quiet_window: {
    type: 'number',
    min: 0,
    default: 0.3,
    scope: 'client',
    description: 'Broadcast discovery ends this many seconds after the last reply.',
  },
  default_discovery_method: {
    type: 'enum',
    values: ['mc', 'broadcast', 'flatfile', 'registry'],
    default: 'mc',
    scope: 'client',
    description: 'Discovery method used when none is given on the command line.',
  },
  discovery_expect_from_registry: {
    type: 'boolean',
    default: false,
    scope: 'client',
    description: 'Broadcast discovery and ping stop as soon as every node the registry counts for the filter has answered, instead of waiting out the quiet window.',
  },
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
  ...NATS_KEYS,
  ...AMQP_KEYS,
  ...BROKER_TLS_KEYS,
  ...CORE_SECURITY,
  ...SECURITY_KEYS,
  ...CORE_SERVICES,
  ...FACT_KEYS,
  ...CORE_RUNTIME,
  ...PUPPET_KEYS,
} satisfies Record<string, KeySpec>;

export const KEY_SPECS: Readonly<Record<ConfigKey, KeySpec>> = KEYS;

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
