// The certificate authority's settings (`mco ca …`, security/ca and security/service).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const CA_KEYS = {
  // The certificate authority (`mco ca …`).
  'plugin.ca.dir': {
    type: 'path',
    default: '/var/lib/troupe/ca',
    scope: 'both',
    description: 'Directory of the CA (`mco ca init|generate|serve|list|sign|revoke|clean`).',
  },
  'plugin.ca.listen': {
    type: 'string',
    default: '0.0.0.0:8140',
    scope: 'both',
    description: 'Address and port `mco ca serve` listens on.',
  },
  'plugin.ca.hostnames': {
    type: 'list',
    default: [],
    defaultDoc: 'host name, localhost, 127.0.0.1',
    scope: 'both',
    description: "Names (DNS or IP) in the CA service's TLS certificate.",
  },
  'plugin.ca.max_pending': {
    type: 'integer',
    min: 1,
    default: 1000,
    scope: 'both',
    description: 'Pending certificate requests the CA keeps at most; further submissions get HTTP 503 until the operator signs or cleans.',
  },
  'plugin.ca.rate_limit': {
    type: 'integer',
    min: 1,
    default: 600,
    scope: 'both',
    description: 'Requests per minute `mco ca serve` answers from one IP address (HTTP 429 beyond).',
  },
  'plugin.ca.submit_rate_limit': {
    type: 'integer',
    min: 1,
    default: 30,
    scope: 'both',
    description: 'Certificate requests per minute `mco ca serve` accepts from one IP address (HTTP 429 beyond).',
  },
  'plugin.ca.validity_days': {
    type: 'integer',
    min: 1,
    default: 1825,
    scope: 'both',
    description: 'Days a certificate issued by the CA is valid.',
  },
} as const satisfies KeyTable;
