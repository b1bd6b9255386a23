import os from 'node:os';

/**
 * Every configuration key troupe understands, declared once. Parsing, typed access, validation
 * and the README's reference table are all derived from this object, so adding a key here is
 * the whole job of adding a key.
 */

export type ConfigScope = 'server' | 'client' | 'both';

/**
 * A computed default. It receives the values resolved so far, in declaration order, so a key
 * may derive its default from keys declared above it.
 */
export type ComputedDefault<T> = (resolved: Readonly<Record<string, unknown>>) => T;

interface KeyBase {
  scope: ConfigScope;
  description: string;
  /** How the default reads in the reference table, when it is computed or needs words. */
  defaultDoc?: string;
}

export type KeySpec =
  | (KeyBase & { type: 'string'; default: string | ComputedDefault<string>; pattern?: RegExp; patternDoc?: string })
  | (KeyBase & { type: 'path'; default: string })
  | (KeyBase & { type: 'integer'; default: number; min?: number; max?: number })
  | (KeyBase & { type: 'number'; default: number; min?: number; max?: number })
  | (KeyBase & { type: 'boolean'; default: boolean })
  | (KeyBase & {
      type: 'list';
      default: readonly string[];
      /** `url` items must look like `scheme://host[:port]`. */
      item?: 'url';
      nonEmpty?: boolean;
      pattern?: RegExp;
      patternDoc?: string;
    })
  | (KeyBase & { type: 'pathlist'; default: readonly string[] })
  | (KeyBase & { type: 'enum'; default: string; values: readonly string[] });

export type KeyType = KeySpec['type'];

const KEYS = {
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
  'plugin.nats.max_reconnect_wait': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Ceiling in seconds of the back-off between reconnect attempts.',
  },
  'plugin.nats.connect_timeout': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Seconds to wait for a broker connection before trying the next host.',
  },
  securityprovider: {
    type: 'enum',
    values: ['insecure', 'pki'],
    default: 'insecure',
    scope: 'both',
    description: 'How messages are signed and verified: unsigned, or X.509 certificates.',
  },
  'plugin.yaml': {
    type: 'pathlist',
    default: [],
    scope: 'server',
    description: 'Fact files (YAML or JSON), separated by `:` or `,`, merged in order (later wins).',
  },
  fact_reload_interval: {
    type: 'number',
    min: 0,
    default: 10,
    scope: 'server',
    description: 'Seconds between checks of the fact and classes files for changes.',
  },
  classesfile: {
    type: 'path',
    default: '/var/cache/puppet/state/classes.txt',
    scope: 'server',
    description: 'Puppet classes file: one class per line.',
  },
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
    description: 'Seconds a request stays valid; older requests, or ones dated this far ahead, are rejected.',
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
    default: 0,
    scope: 'server',
    description: 'Seconds between registration messages; 0 turns registration off.',
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
    default: false,
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
    values: ['mc', 'broadcast', 'flatfile'],
    default: 'mc',
    scope: 'client',
    description: 'Discovery method used when none is given on the command line.',
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
} as const satisfies Record<string, KeySpec>;

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
