// Plan state's settings (plan/jetstream-store.ts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../config/key-spec.js';

export const PLAN_KEYS = {
  plan_bucket: {
    type: 'string',
    default: 'troupe_plans',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'letters, digits, _ and -',
    scope: 'client',
    description: 'JetStream key-value bucket holding plan runs (`mco plan`): one key per run, step and node outcome, kept 30 days after their last change.',
  },
} as const satisfies KeyTable;
