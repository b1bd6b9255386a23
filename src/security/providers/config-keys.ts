// The security providers' settings: the age rule every provider applies, and X.509 message security (pki).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const SECURITY_KEYS = {
  // X.509 message security (securityprovider = pki). The four paths default to Puppet's ssldir layout.
  'plugin.security.ssldir': {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description:
      "Directory laid out as Puppet's ssldir (certs/<certname>.pem, private_keys/<certname>.pem, certs/ca.pem, crl.pem); an existing Puppet ssldir works unchanged.",
  },
  'plugin.security.certname': {
    type: 'string',
    default: (resolved) => resolved['identity'] as string,
    defaultDoc: '`identity`',
    scope: 'both',
    description: "Name of this process's certificate; the caller id of a client is `cert=<certname>`.",
  },
  'plugin.security.ca': {
    type: 'path',
    default: '',
    defaultDoc: '<ssldir>/certs/ca.pem',
    scope: 'both',
    description:
      "The CA certificate every message certificate must be issued by; several certificates only as one chain (an intermediate CA and the CAs above it, as Puppet's ca.pem), where the lowest issues.",
  },
  'plugin.security.cert': {
    type: 'path',
    default: '',
    defaultDoc: '<ssldir>/certs/<certname>.pem',
    scope: 'both',
    description: "This process's certificate.",
  },
  'plugin.security.key': {
    type: 'path',
    default: '',
    defaultDoc: '<ssldir>/private_keys/<certname>.pem',
    scope: 'both',
    description: "This process's private key (RSA or Ed25519).",
  },
  'plugin.security.crl': {
    type: 'path',
    default: '',
    defaultDoc: '<ssldir>/crl.pem',
    scope: 'both',
    description: 'Certificate revocation list(s) of the CA.',
  },
  'plugin.security.crl_refresh_interval': {
    type: 'number',
    min: 1,
    default: 300,
    scope: 'both',
    description: 'Seconds between CRL refreshes (from the CA service when `ca_url` is set, else the file).',
  },
  'plugin.security.ca_url': {
    type: 'string',
    default: '',
    defaultDoc: 'none',
    scope: 'both',
    description: 'CA service (`mco ca serve`) for `mco enroll` and CRL downloads, e.g. https://ca.example.net:8140.',
  },
  'plugin.security.client_pattern': {
    type: 'string',
    default: '\\.(mcollective|troupe)$',
    scope: 'both',
    description:
      'Regular expression a certificate name must match to send requests (node certificates do not); empty allows any. The CA never autosigns such names, nor signs them with `sign --all`.',
  },
  'plugin.security.require_operator_role': {
    type: 'boolean',
    default: true,
    scope: 'server',
    description:
      "Requests only from operator certificates: those carrying Puppet's pp_auth_role extension with the value `troupe-operator`, which `mco ca sign` and `mco ca generate` set only on names matching `client_pattern`, never on autosign or `sign --all`. Turn off only while re-issuing client certificates made without it (by earlier troupe CAs, or by a Puppet CA not told to add it).",
  },
  'plugin.security.client_key_usage': {
    type: 'boolean',
    default: true,
    scope: 'server',
    description: 'Requests only from certificates whose extended key usage allows TLS client authentication.',
  },
  'plugin.security.sign_replies': {
    type: 'boolean',
    default: false,
    scope: 'both',
    description:
      'Nodes sign every reply and clients reject unsigned ones; off, replies carry a SHA-256 and rely on the broker mutual TLS (signing costs the client one signature check per reply).',
  },
  'plugin.security.max_certificate_size': {
    type: 'integer',
    min: 1024,
    max: 16384,
    default: 8192,
    scope: 'both',
    description: 'Largest certificate (PEM bytes) accepted in a message.',
  },
  'plugin.security.clock_skew': {
    type: 'number',
    min: 0,
    default: 10,
    scope: 'server',
    description: 'Seconds a request may be dated in the future (clock skew between client and node), with any security provider.',
  },
  'plugin.security.max_ttl': {
    type: 'integer',
    min: 1,
    max: 86400,
    default: 300,
    scope: 'server',
    description:
      'Longest TTL in seconds a node honours, with any security provider: a request counts as valid for min(its ttl, max_ttl) after its time, and its id is remembered against replays that long.',
  },
  'plugin.security.replay_cache_size': {
    type: 'integer',
    min: 100,
    default: 100000,
    scope: 'server',
    description:
      'Request ids a node remembers within their TTL to refuse replays (only of requests it ran); when full, new requests are refused (`replay_cache_full`).',
  },
  'plugin.security.replay_quota': {
    type: 'integer',
    min: 0,
    default: 0,
    defaultDoc: 'a tenth of `replay_cache_size`',
    scope: 'server',
    description:
      "Request ids one caller may hold in the replay cache; beyond it that caller's requests are refused (`replay_quota`) while others still run.",
  },
  'plugin.security.replay_file': {
    type: 'path',
    default: '',
    defaultDoc: 'none: requests dated before the daemon started are refused',
    scope: 'server',
    description:
      "File keeping the replay cache's ids across restarts (written before each action runs, flushed to disk within a second); without it, a node refuses requests dated before it started, since it cannot know whether they ran.",
  },
  'plugin.security.key_type': {
    type: 'enum',
    values: ['rsa', 'ed25519'],
    default: 'rsa',
    scope: 'both',
    description: 'Keys made by `mco enroll` and `mco ca generate`: RSA-2048 (Puppet CA compatible) or Ed25519.',
  },
} as const satisfies KeyTable;
