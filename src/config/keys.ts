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
  /**
   * The value is a secret (a password, token or passphrase): it is never shown outside this process.
   * Absent, a key is secret when its name looks like one (see `isSecretKey`); `false` says it is not.
   */
  secret?: boolean;
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
  'plugin.amqp.vhost': {
    type: 'string',
    default: '/',
    scope: 'both',
    description: 'RabbitMQ virtual host (a vhost in the URL path wins).',
  },
  'plugin.amqp.user': {
    type: 'string',
    default: 'guest',
    scope: 'both',
    description: 'RabbitMQ user name (a user in the URL wins).',
  },
  'plugin.amqp.password': {
    type: 'string',
    default: 'guest',
    secret: true,
    scope: 'both',
    description: 'RabbitMQ password (a password in the URL wins).',
  },
  'plugin.amqp.heartbeat': {
    type: 'integer',
    min: 0,
    default: 30,
    scope: 'both',
    description: 'Seconds between AMQP heartbeats, by which a dead broker or peer is noticed; 0 turns them off.',
  },
  'plugin.amqp.connect_timeout': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Seconds to wait for a RabbitMQ connection (TCP and handshake) before trying the next host.',
  },
  'plugin.amqp.max_reconnect_wait': {
    type: 'number',
    min: 0,
    default: 5,
    scope: 'both',
    description: 'Ceiling in seconds of the back-off between RabbitMQ reconnect attempts.',
  },
  'plugin.amqp.message_ttl': {
    type: 'integer',
    min: 1,
    default: 60,
    scope: 'server',
    description: 'Seconds a request may wait in a node\'s RabbitMQ queue before the broker drops it.',
  },
  'plugin.amqp.max_queue_length': {
    type: 'integer',
    min: 1,
    default: 1000,
    scope: 'server',
    description: 'Requests a node\'s RabbitMQ queue holds at most; beyond it the oldest are dropped.',
  },
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
    description: 'Client certificate (PEM) presented to the broker over TLS; `{identity}` becomes the node\'s identity (one config for a simulated fleet). Over NATS its common name is the name the broker knows this process by.',
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
    description: 'Name the broker\'s TLS certificate must carry, when it differs from the host in the broker URL.',
  },
  securityprovider: {
    type: 'enum',
    values: ['insecure', 'pki'],
    default: 'pki',
    scope: 'both',
    description: 'How messages are signed and verified: X.509 certificates (pki), or `insecure` for local experiments only (unsigned; nodes log a warning).',
  },
  // X.509 message security (securityprovider = pki). The four paths default to Puppet's ssldir layout.
  'plugin.security.ssldir': {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description: 'Directory laid out as Puppet\'s ssldir (certs/<certname>.pem, private_keys/<certname>.pem, certs/ca.pem, crl.pem); an existing Puppet ssldir works unchanged.',
  },
  'plugin.security.certname': {
    type: 'string',
    default: (resolved) => resolved['identity'] as string,
    defaultDoc: '`identity`',
    scope: 'both',
    description: 'Name of this process\'s certificate; the caller id of a client is `cert=<certname>`.',
  },
  'plugin.security.ca': { type: 'path', default: '', defaultDoc: '<ssldir>/certs/ca.pem', scope: 'both', description: 'The CA certificate every message certificate must be issued by; several certificates only as one chain (an intermediate CA and the CAs above it, as Puppet\'s ca.pem), where the lowest issues.' },
  'plugin.security.cert': { type: 'path', default: '', defaultDoc: '<ssldir>/certs/<certname>.pem', scope: 'both', description: 'This process\'s certificate.' },
  'plugin.security.key': { type: 'path', default: '', defaultDoc: '<ssldir>/private_keys/<certname>.pem', scope: 'both', description: 'This process\'s private key (RSA or Ed25519).' },
  'plugin.security.crl': { type: 'path', default: '', defaultDoc: '<ssldir>/crl.pem', scope: 'both', description: 'Certificate revocation list(s) of the CA.' },
  'plugin.security.crl_refresh_interval': { type: 'number', min: 1, default: 300, scope: 'both', description: 'Seconds between CRL refreshes (from the CA service when `ca_url` is set, else the file).' },
  'plugin.security.ca_url': { type: 'string', default: '', defaultDoc: 'none', scope: 'both', description: 'CA service (`mco ca serve`) for `mco enroll` and CRL downloads, e.g. https://ca.example.net:8140.' },
  'plugin.security.client_pattern': {
    type: 'string',
    default: '\\.(mcollective|troupe)$',
    scope: 'both',
    description: 'Regular expression a certificate name must match to send requests (node certificates do not); empty allows any. The CA never autosigns such names, nor signs them with `sign --all`.',
  },
  'plugin.security.require_operator_role': {
    type: 'boolean',
    default: true,
    scope: 'server',
    description:
      'Requests only from operator certificates: those carrying Puppet\'s pp_auth_role extension with the value `troupe-operator`, which `mco ca sign` and `mco ca generate` set only on names matching `client_pattern`, never on autosign or `sign --all`. Turn off only while re-issuing client certificates made without it (by earlier troupe CAs, or by a Puppet CA not told to add it).',
  },
  'plugin.security.client_key_usage': { type: 'boolean', default: true, scope: 'server', description: 'Requests only from certificates whose extended key usage allows TLS client authentication.' },
  'plugin.security.sign_replies': { type: 'boolean', default: false, scope: 'both', description: 'Nodes sign every reply and clients reject unsigned ones; off, replies carry a SHA-256 and rely on the broker mutual TLS (signing costs the client one signature check per reply).' },
  'plugin.security.max_certificate_size': { type: 'integer', min: 1024, max: 16384, default: 8192, scope: 'both', description: 'Largest certificate (PEM bytes) accepted in a message.' },
  'plugin.security.clock_skew': { type: 'number', min: 0, default: 10, scope: 'server', description: 'Seconds a request may be dated in the future (clock skew between client and node), with any security provider.' },
  'plugin.security.max_ttl': { type: 'integer', min: 1, max: 86400, default: 300, scope: 'server', description: 'Longest TTL in seconds a node honours, with any security provider: a request counts as valid for min(its ttl, max_ttl) after its time, and its id is remembered against replays that long.' },
  'plugin.security.replay_cache_size': { type: 'integer', min: 100, default: 100000, scope: 'server', description: 'Request ids a node remembers within their TTL to refuse replays (only of requests it ran); when full, new requests are refused (`replay_cache_full`).' },
  'plugin.security.replay_quota': { type: 'integer', min: 0, default: 0, defaultDoc: 'a tenth of `replay_cache_size`', scope: 'server', description: 'Request ids one caller may hold in the replay cache; beyond it that caller\'s requests are refused (`replay_quota`) while others still run.' },
  'plugin.security.replay_file': { type: 'path', default: '', defaultDoc: 'none: requests dated before the daemon started are refused', scope: 'server', description: 'File keeping the replay cache\'s ids across restarts (written before each action runs, flushed to disk within a second); without it, a node refuses requests dated before it started, since it cannot know whether they ran.' },
  'plugin.security.key_type': { type: 'enum', values: ['rsa', 'ed25519'], default: 'rsa', scope: 'both', description: 'Keys made by `mco enroll` and `mco ca generate`: RSA-2048 (Puppet CA compatible) or Ed25519.' },
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
  'plugin.broker.governors': { type: 'list', default: [], defaultDoc: 'none', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternDoc: 'governor names', scope: 'client', description: 'Governors operators may add, use and remove (`mco governor`); the broker refuses others.' },
  'plugin.broker.node_governors': { type: 'list', default: [], defaultDoc: 'none', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternDoc: 'governor names', scope: 'client', description: 'Governors nodes may take slots of (`plugin.puppet.governor`), and nothing else of JetStream but the registry; operators may use them too.' },
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
  plan_bucket: {
    type: 'string',
    default: 'troupe_plans',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'client',
    description: 'JetStream key-value bucket holding plan runs (`mco plan`): one key per run, step and node outcome, kept 30 days after their last change.',
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
  // The puppet agent. Its per-node paths may contain `{identity}`, replaced by the node's identity in `mco sim`.
  'plugin.puppet.mode': { type: 'enum', values: ['agent', 'apply'], default: 'agent', scope: 'server', description: 'puppet agent: `agent` runs `puppet agent`; `apply` is masterless: `puppet apply` of a git working copy.' },
  'plugin.puppet.command': { type: 'string', default: 'puppet agent', scope: 'server', description: 'puppet agent: command starting an agent run (`--onetime --no-daemonize …` are appended).' },
  'plugin.puppet.config': { type: 'path', default: '', defaultDoc: "Puppet's", scope: 'server', description: 'puppet agent: puppet.conf passed as `--config` to every Puppet command.' },
  'plugin.puppet.confdir': { type: 'path', default: '', defaultDoc: "Puppet's", scope: 'server', description: 'puppet agent: confdir passed as `--confdir` to every Puppet command.' },
  'plugin.puppet.splay': { type: 'boolean', default: true, scope: 'server', description: 'puppet agent: runonce sleeps a random time first unless the request says otherwise or forces the run.' },
  'plugin.puppet.splaylimit': { type: 'integer', min: 0, default: 30, scope: 'server', description: 'puppet agent: longest splay in seconds.' },
  'plugin.puppet.signal_daemon': { type: 'boolean', default: true, scope: 'server', description: 'puppet agent: runonce sends SIGUSR1 to an idle Puppet daemon instead of starting a run.' },
  'plugin.puppet.allow_server_override': { type: 'boolean', default: false, scope: 'server', description: "puppet agent: accept runonce's `server` input." },
  'plugin.puppet.run_logfile': { type: 'path', default: '', defaultDoc: 'discarded', scope: 'server', description: 'puppet agent: file receiving the output of the runs it starts.' },
  'plugin.puppet.agent_disabled_lockfile': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: "puppet agent: Puppet's disable lock; empty asks `puppet config print`." },
  'plugin.puppet.agent_catalog_run_lockfile': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: "puppet agent: Puppet's run lock (holds the PID of the applying run)." },
  'plugin.puppet.pidfile': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: "puppet agent: the Puppet daemon's pidfile (agent section)." },
  'plugin.puppet.lastrunfile': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: 'puppet agent: last_run_summary.yaml.' },
  'plugin.puppet.lastrunreport': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: 'puppet agent: last_run_report.yaml.' },
  'plugin.puppet.resourcefile': { type: 'path', default: '', defaultDoc: "Puppet's setting", scope: 'server', description: 'puppet agent: resources.txt, the resources Puppet manages.' },
  'plugin.puppet.runonce_lockfile': { type: 'path', default: '', defaultDoc: 'troupe_runonce.lock beside the run lock', scope: 'server', description: 'puppet agent: troupe\'s lock from a run\'s request until its process exits.' },
  'plugin.puppet.apply_command': { type: 'string', default: 'puppet apply', scope: 'server', description: 'puppet agent, masterless: command applying the manifest.' },
  'plugin.puppet.codedir': { type: 'path', default: '', defaultDoc: 'none (required)', scope: 'server', description: 'puppet agent, masterless: the git working copy holding the Puppet code (letters, digits and `/._+,@:-` only, so Puppet runs its config_version command without a shell).' },
  'plugin.puppet.manifest': { type: 'path', default: 'manifests/site.pp', scope: 'server', description: 'puppet agent, masterless: manifest to apply, relative to codedir.' },
  'plugin.puppet.modulepath': { type: 'string', default: '', defaultDoc: "Puppet's", scope: 'server', description: 'puppet agent, masterless: module path (`:`-separated, relative to codedir).' },
  'plugin.puppet.git_remote': { type: 'string', default: 'origin', scope: 'server', description: 'puppet agent, masterless: remote name or URL revisions are fetched from.' },
  'plugin.puppet.git_allowed_refs': { type: 'list', default: [], defaultDoc: 'none: revisions refused', scope: 'server', description: 'puppet agent, masterless: branch/tag patterns (`*` wildcard) a revision must be or be reachable from.' },
  'plugin.puppet.git_timeout': { type: 'integer', min: 1, default: 15, scope: 'server', description: 'puppet agent, masterless: seconds a git fetch or checkout may take.' },
  'plugin.puppet.governor': { type: 'string', default: '', defaultDoc: 'none', pattern: /^([A-Za-z0-9_-]{1,64})?$/, patternDoc: 'a governor name', scope: 'server', description: 'puppet agent: governor (`mco governor add`) whose slot runonce takes before starting Puppet and holds until the run ends, so at most its capacity of runs happen across the fleet; the broker must allow it (`plugin.broker.node_governors`).' },
  'plugin.puppet.governor_max_wait': { type: 'integer', min: 0, max: 15, default: 10, scope: 'server', description: 'puppet agent: seconds runonce waits for a governor slot before refusing the run.' },
  'plugin.puppet.resource_allow_managed_resources': { type: 'boolean', default: false, scope: 'server', description: 'puppet agent: let `resource` change resources the catalog manages.' },
  'plugin.puppet.resource_type_whitelist': { type: 'string', default: '', defaultDoc: 'none: all denied', scope: 'server', description: 'puppet agent: types `resource` may change (comma-separated; `none` denies all); `resource_name_whitelist.<type>` / `_blacklist.<type>` narrow names.' },
  'plugin.puppet.resource_type_blacklist': { type: 'string', default: '', scope: 'server', description: 'puppet agent: types `resource` may not change (instead of a whitelist).' },
  // What `resource` may set per type; other types need their own `resource_allow_params.<type>` (see resource-params.ts).
  'plugin.puppet.resource_allow_params.file': { type: 'list', default: ['ensure', 'owner', 'group', 'mode', 'content'], pattern: /^[a-z][a-z0-9_]*$/, patternDoc: 'parameter names', scope: 'server', description: 'puppet agent: parameters `resource` may set on files; `resource_allow_params.<type>` (empty for none) is required for types other than file, package and service. Metaparameters, `name` and `path` are never allowed, exec and class never.' },
  'plugin.puppet.resource_allow_params.package': { type: 'list', default: ['ensure'], pattern: /^[a-z][a-z0-9_]*$/, patternDoc: 'parameter names', scope: 'server', description: 'puppet agent: parameters `resource` may set on packages (`ensure`: present, installed, absent, purged, latest or a version).' },
  'plugin.puppet.resource_allow_params.service': { type: 'list', default: ['ensure', 'enable'], pattern: /^[a-z][a-z0-9_]*$/, patternDoc: 'parameter names', scope: 'server', description: 'puppet agent: parameters `resource` may set on services.' },
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
