// The broker configuration's settings (`mco broker config|reload`).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

export const BROKER_KEYS = {
  // The broker's nats-server configuration (`mco broker config|reload`), written on the CA host.
  'plugin.broker.config_file': {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'client',
    description:
      'nats-server configuration written by `mco broker config`; when set, `mco ca sign|revoke|generate` rewrite it from the CA and signal the broker to reload.',
  },
  'plugin.broker.listen': {
    type: 'string',
    default: '0.0.0.0:4222',
    scope: 'client',
    description: 'HOST:PORT the broker listens on for clients (`mco broker config`).',
  },
  'plugin.broker.cert': {
    type: 'path',
    default: '',
    defaultDoc: 'none (required)',
    scope: 'client',
    description:
      "The broker's TLS certificate, issued by the troupe CA for the names in `middleware_hosts` (`mco ca generate NAME --alt-names …`).",
  },
  'plugin.broker.key': {
    type: 'path',
    default: '',
    defaultDoc: 'none (required)',
    scope: 'client',
    description: 'Private key of `plugin.broker.cert`.',
  },
  'plugin.broker.pid_file': {
    type: 'path',
    default: '',
    defaultDoc: '`nats-server.pid` beside `plugin.broker.config_file`',
    scope: 'client',
    description: 'Where the broker writes its pid; the reload signal goes to it.',
  },
  'plugin.broker.jetstream_dir': {
    type: 'path',
    default: '/var/lib/troupe/jetstream',
    scope: 'client',
    description: 'JetStream store of the broker (it holds the registry); empty turns JetStream off.',
  },
  'plugin.broker.max_payload': {
    type: 'integer',
    min: 1024,
    default: 2097152,
    scope: 'client',
    description: 'Largest message in bytes the broker takes; keep it above `max_message_size`.',
  },
  'plugin.broker.governors': {
    type: 'list',
    default: [],
    defaultDoc: 'none',
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    patternDoc: 'governor names',
    scope: 'client',
    description: 'Governors operators may add, use and remove (`mco governor`); the broker refuses others.',
  },
  'plugin.broker.node_governors': {
    type: 'list',
    default: [],
    defaultDoc: 'none',
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    patternDoc: 'governor names',
    scope: 'client',
    description:
      'Governors nodes may take slots of (`plugin.puppet.governor`), and nothing else of JetStream but the registry; operators may use them too.',
  },
  'plugin.broker.web_consoles': {
    type: 'list',
    default: [],
    defaultDoc: 'none',
    scope: 'client',
    description:
      "Operator certificate names that are web consoles (`mco web`): besides an operator's rights, they may keep the job history bucket (`web.jobs_bucket`) and watch the registry.",
  },
} as const satisfies KeyTable;
