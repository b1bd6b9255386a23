// Plans' settings: their audit log, runner lease and state bucket (plan/jetstream-store.ts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

export const PLAN_KEYS = {
  plan_audit_logfile: {
    type: 'path',
    default: '',
    defaultDoc: 'none',
    scope: 'client',
    description: 'File receiving one JSON line per plan run (who, plan digest, inputs with secret ones redacted, how each step ended).',
  },
  plan_lease_period: {
    type: 'integer',
    min: 3,
    default: 30,
    scope: 'client',
    description: "Seconds a plan runner's lease lasts without a heartbeat; after it, `mco plan resume` may take the run over.",
  },
  plan_bucket: {
    type: 'string',
    default: 'troupe_plans',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'client',
    description:
      'JetStream key-value bucket holding plan runs (`mco plan`): one key per run, step and node outcome, kept 30 days after their last change.',
  },
} as const satisfies KeyTable;
