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
  // A broker in a site (broker/sites.ts): its cluster, the gateways between sites, leafnodes to a leaf site.
  'plugin.broker.site': {
    type: 'string',
    default: '',
    defaultDoc: 'none (a single broker)',
    scope: 'client',
    description:
      'The site the broker is in (letters, digits, _ and -): its cluster and gateway are named after it, and its nodes write the registry bucket `<registry_bucket>_<site>`. Needed by every setting below.',
  },
  'plugin.broker.server_name': {
    type: 'string',
    default: '',
    defaultDoc: "the broker certificate's name",
    scope: 'client',
    description: "nats-server's `server_name`, unique over every broker of every site.",
  },
  'plugin.broker.cluster_listen': {
    type: 'string',
    default: '',
    defaultDoc: 'none (no cluster)',
    scope: 'client',
    description: 'HOST:PORT for routes from the other brokers of the site (TLS, broker certificates of the CA only, pinned).',
  },
  'plugin.broker.routes': {
    type: 'list',
    default: [],
    defaultDoc: 'none',
    scope: 'client',
    description:
      'Route URLs of the other brokers of the site (`tls://HOST:PORT`; HOST:PORT alone means tls://); their certificates must name HOST.',
  },
  'plugin.broker.gateway_listen': {
    type: 'string',
    default: '',
    defaultDoc: 'none (no gateway)',
    scope: 'client',
    description: 'HOST:PORT for gateway connections from the brokers of other sites (TLS, broker certificates only, pinned).',
  },
  'plugin.broker.gateways': {
    type: 'string',
    default: '',
    defaultDoc: 'none',
    scope: 'client',
    description:
      "The gateway sites and their brokers' gateway URLs: `NAME=URL|URL,NAME=URL` (this site may be listed too). Changing it needs a broker restart.",
  },
  'plugin.broker.leafnode_listen': {
    type: 'string',
    default: '',
    defaultDoc: 'none',
    scope: 'client',
    description:
      "HOST:PORT where leaf sites' brokers dial in: each broker certificate of the CA is a leafnode user of the application account.",
  },
  'plugin.broker.leaf_remotes': {
    type: 'list',
    default: [],
    defaultDoc: 'none (not a leaf site)',
    scope: 'client',
    description:
      "Makes this a leaf site: the hub brokers' leafnode URLs it dials with its broker certificate (`tls://HOST:PORT`). A leaf site listens on no gateway or leafnode port.",
  },
  'plugin.broker.jetstream_domain': {
    type: 'string',
    default: '',
    defaultDoc: 'the hub domain on gateway sites, the site name on a leaf site',
    scope: 'client',
    description:
      'JetStream domain of the broker. On nats-server 2.9 the gateway sites are one JetStream (the hub domain); a leaf site has a domain of its own.',
  },
  'plugin.broker.hub_domain': {
    type: 'string',
    default: 'hub',
    scope: 'client',
    description: 'JetStream domain of the gateway sites; operators read their registry buckets there from leaf sites (`$JS.<domain>.API`).',
  },
  'plugin.broker.gateway_sites': {
    type: 'list',
    default: [],
    defaultDoc: 'the sites in `plugin.broker.gateways`, and this one',
    scope: 'client',
    description: "Every gateway site: operators may read each one's registry bucket.",
  },
  'plugin.broker.leaf_sites': {
    type: 'list',
    default: [],
    defaultDoc: 'this site, on a leaf site',
    scope: 'client',
    description:
      "Every leaf site, as SITE or SITE=DOMAIN (the domain defaults to the site): operators may read each one's registry bucket across domains.",
  },
  'plugin.broker.monitor': {
    type: 'string',
    default: '',
    defaultDoc: 'none',
    scope: 'client',
    description:
      "HOST:PORT of nats-server's monitoring endpoint (`/varz`, `/routez`, `/gatewayz`, `/leafz`); keep it on loopback or firewalled: it has no authentication.",
  },
} as const satisfies KeyTable;
