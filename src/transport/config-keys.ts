// The connectors' settings beside them: the NATS connector's (connector = nats), TLS to the broker for either
// connector (RabbitMQ's are in amqp/config-keys.ts), and the registry's JetStream bucket (nats-registry.ts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

/** connector = nats. */
export const NATS_KEYS = {
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
  'plugin.nats.reconnect_buffer': {
    type: 'integer',
    min: 0,
    default: 8192,
    scope: 'both',
    description:
      'Bytes of outgoing messages held while the broker connection is down, sent once it is back; what does not fit is dropped and counted (troupe_broker_dropped_while_disconnected_total). Replies to requests whose TTL is over by then are worthless, and a restarted broker under a large fleet should not be handed megabytes at once.',
  },
  'plugin.nats.lame_duck_spread': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description:
      "When a broker announces lame-duck mode (it is shutting down), its clients move to another member of its cluster after a random delay of up to this many seconds, so they do not all arrive at once. Keep it below the broker's `lame_duck_grace_period`, after which it starts closing connections; 0 moves at once.",
  },
} as const satisfies KeyTable;

/** TLS to the broker, NATS or RabbitMQ. */
export const BROKER_TLS_KEYS = {
  tls_ca: {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description: 'CA certificate (PEM) that broker TLS certificates must chain to (amqps:// and TLS NATS).',
  },
  tls_cert: {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description:
      "Client certificate (PEM) presented to the broker over TLS; `{identity}` becomes the node's identity (one config for a simulated fleet). Over NATS its common name is the name the broker knows this process by.",
  },
  tls_key: {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description: 'Private key (PEM) of `tls_cert`; `{identity}` as there.',
  },
  tls_server_name: {
    type: 'string',
    default: '',
    defaultDoc: 'host of the broker URL',
    scope: 'both',
    description: "Name the broker's TLS certificate must carry, when it differs from the host in the broker URL.",
  },
} as const satisfies KeyTable;

/** The registry's JetStream bucket (nats-registry.ts). */
export const REGISTRY_BUCKET_KEYS = {
  registry_bucket: {
    type: 'string',
    default: 'troupe_registry',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'both',
    description:
      'JetStream key-value bucket holding the registry (one key per node identity); a node with a `site` registers in `<registry_bucket>_<site>`.',
  },
  site: {
    type: 'string',
    default: '',
    defaultDoc: 'none: one registry for every node',
    pattern: /^([A-Za-z0-9_-]+)?$/,
    patternDoc: 'a site name (letters, digits, _ and -)',
    scope: 'both',
    description:
      "The site this process is at. A node registers in its site's own registry, `<registry_bucket>_<site>`, kept in the JetStream cluster named after the site; a client without `registry_sites` reads its own site's registry.",
  },
  registry_sites: {
    type: 'list',
    default: [],
    defaultDoc: 'none: the `site` registry alone',
    pattern: /^[A-Za-z0-9_-]+(@[A-Za-z0-9_-]+)?$/,
    patternDoc: 'sites as NAME or NAME@DOMAIN',
    scope: 'client',
    description:
      "Sites whose registries discovery reads, all at once, each `NAME` (its registry in this broker's JetStream) or `NAME@DOMAIN` (in the JetStream domain DOMAIN, a leaf site's). A site that does not answer within `registry_site_timeout` is named and the others' nodes are used; a request whose collective is a site's name reads only that site.",
  },
  registry_site_timeout: {
    type: 'number',
    min: 0.1,
    default: 5,
    scope: 'client',
    description: "Seconds a site's registry has to answer each JetStream request of a read before the site counts as not answering.",
  },
} as const satisfies KeyTable;

/** How the registry ages and is replicated (applied by the node that creates the bucket). */
export const REGISTRY_KEYS = {
  registry_max_age: {
    type: 'integer',
    min: 1,
    default: 900,
    scope: 'server',
    description:
      "Seconds after its last registration a node's record expires (it counts as gone); keep it above 2 × registerinterval. Applied by the node that creates the bucket.",
  },
  registry_replicas: {
    type: 'integer',
    min: 1,
    max: 5,
    default: 1,
    scope: 'server',
    description:
      'Copies of the registry a JetStream cluster keeps (1, 3 or 5); 3 survives the loss of one broker. Applied by the node that creates the bucket.',
  },
} as const satisfies KeyTable;
