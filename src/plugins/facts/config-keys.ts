// Where a node's facts and classes come from (plugins/facts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../config/key-spec.js';

export const FACT_KEYS = {
  factsource: {
    type: 'list',
    default: ['yaml'],
    nonEmpty: true,
    pattern: /^(yaml|facter)$/,
    patternDoc: 'fact source names: yaml, facter',
    scope: 'server',
    description:
      'Fact sources, merged in order (later wins): `yaml` is the files in `plugin.yaml`, `facter` runs `plugin.facts.facter_command`. `facter, yaml` lets the files override Facter.',
  },
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
  'plugin.facts.facter_command': {
    type: 'string',
    default: 'facter -p --json',
    scope: 'server',
    description:
      "Facter source: command printing every fact as one JSON mapping (words split on spaces); its environment is the daemon's, so `FACTER_*` variables become facts.",
  },
  'plugin.facts.facter_interval': {
    type: 'number',
    min: 0,
    default: 300,
    scope: 'server',
    description: 'Facter source: seconds between runs of Facter, counted from the end of the last; 0 runs it only at start and on SIGHUP.',
  },
  'plugin.facts.facter_timeout': {
    type: 'number',
    min: 1,
    default: 30,
    scope: 'server',
    description: 'Facter source: seconds a run may take before it is killed; the last good facts stay in place.',
  },
} as const satisfies KeyTable;
