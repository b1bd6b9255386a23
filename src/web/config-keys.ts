// The web console's settings (`mco web`). Declared once here with default and doc; config/keys.ts collects them.
import type { KeyTable } from '../config/key-spec.js';

export const WEB_KEYS = {
  'web.listen': {
    type: 'string',
    default: '127.0.0.1',
    scope: 'client',
    description: 'Address `mco web` listens on (an IP address; `0.0.0.0` or `::` for all).',
  },
  'web.port': {
    type: 'integer',
    min: 0,
    max: 65535,
    default: 8443,
    scope: 'client',
    description: 'TCP port of the web console; 0 picks a free one (printed at start).',
  },
  'web.insecure_http': {
    type: 'boolean',
    default: false,
    scope: 'client',
    description: 'Serve plain HTTP instead of HTTPS; refused unless `web.listen` is a loopback address (tests, local tunnels).',
  },
  'web.tls_cert': {
    type: 'path',
    default: '',
    defaultDoc: '`plugin.security.cert`',
    scope: 'client',
    description: "The web server's HTTPS certificate (PEM), issued by the troupe CA.",
  },
  'web.tls_key': {
    type: 'path',
    default: '',
    defaultDoc: '`plugin.security.key`',
    scope: 'client',
    description: 'Private key (PEM) of `web.tls_cert`.',
  },
  'web.tls_ca': {
    type: 'path',
    default: '',
    defaultDoc: '`plugin.security.ca`',
    scope: 'client',
    description: 'CA certificate (PEM) that browser client certificates must chain to, for login by certificate.',
  },
  'web.users_file': {
    type: 'path',
    default: '',
    defaultDoc: '`web-users.yaml` beside the config file',
    scope: 'client',
    description: 'Users of the web console (YAML or JSON): scrypt password hashes, roles, certificate names; `mco web user` edits it.',
  },
  'web.roles_file': {
    type: 'path',
    default: '',
    defaultDoc: '`web-roles.yaml` beside the config file',
    scope: 'client',
    description: 'Roles of the web console (YAML or JSON): the `agent.action` patterns each may run, its filter scope and `allow_fleet`.',
  },
  'web.session_ttl': {
    type: 'integer',
    min: 60,
    default: 28800,
    scope: 'client',
    description: 'Seconds a web session lasts after its last use.',
  },
  'web.jobs_bucket': {
    type: 'string',
    default: 'troupe_web_jobs',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'client',
    description: 'JetStream key-value bucket keeping the job history of the web console (jobs, per-node outcomes, saved filters).',
  },
  'web.jobs_max_age': {
    type: 'integer',
    min: 1,
    default: 30,
    scope: 'client',
    description: 'Days a job stays in the history after it was last written.',
  },
  'web.login_rate_limit': {
    type: 'integer',
    min: 1,
    default: 10,
    scope: 'client',
    description: 'Login attempts one client address may make per minute; more answer 429.',
  },
  'web.body_limit': {
    type: 'integer',
    min: 1024,
    default: 1048576,
    scope: 'client',
    description: 'Largest request body in bytes; larger ones answer 413.',
  },
  'web.index_refresh': {
    type: 'integer',
    min: 1,
    default: 300,
    scope: 'client',
    description:
      "Seconds between full re-reads of the registry into the node list's in-memory index; changes arrive live by a watch in between, and records past the registry's max age are hidden at once.",
  },
  'web.registry_check': {
    type: 'integer',
    min: 1,
    default: 10,
    scope: 'client',
    description:
      "Seconds between checks that each site's registry still answers (one JetStream request a site). A site that fails one is reported as unreachable and its nodes are marked, as last read, until a read of it succeeds; it is read again at each check.",
  },
} as const satisfies KeyTable;
