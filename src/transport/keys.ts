// TLS to the broker, for either connector. Declared once here with default and doc; config/keys.ts collects them
// and the README's reference table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

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
} as const satisfies KeyTable;
