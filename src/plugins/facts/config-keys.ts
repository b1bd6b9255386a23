// Where a node's facts and classes come from (plugins/facts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const FACT_KEYS = {
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
} as const satisfies KeyTable;
