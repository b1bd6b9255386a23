// Discovery's settings; default_discovery_method takes the names in builtin.ts (a test holds them equal).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const DISCOVERY_KEYS = {
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
    description:
      'Broadcast discovery and ping stop as soon as every node the registry counts for the filter has answered, instead of waiting out the quiet window.',
  },
} as const satisfies KeyTable;
