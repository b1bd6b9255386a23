// The NATS connector's settings (connector = nats). Declared once here with default and doc; config/keys.ts collects them
// and the README's reference table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

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
} as const satisfies KeyTable;
