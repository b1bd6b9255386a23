// The registration record: what a node publishes about itself, and what registry discovery reads back.
// Stored as JSON (schemas/registration.schema.json), one record per node, keyed by identity.
import type { ValidateFunction } from 'ajv';
import { ProtocolError } from './errors.js';
import { describeSchemaErrors, validatorFor } from './schemas.js';

export const REGISTRATION_PROTOCOL = 'troupe:registration:1';

export interface RegistrationRecord {
  protocol: typeof REGISTRATION_PROTOCOL;
  identity: string;
  collectives: string[];
  main_collective: string;
  facts: Record<string, unknown>;
  classes: string[];
  /** The agents -A filters match: hosted agents (or those a simulated node advertises), without `discovery`. */
  agents: string[];
  version: string;
  /** Seconds since the epoch by the node's clock, when the record was published. */
  last_seen: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
let validate: ValidateFunction<RegistrationRecord> | undefined;

export function encodeRegistration(record: RegistrationRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

/** Parses and checks one stored record; throws ProtocolError when it is not one. */
export function decodeRegistration(bytes: Uint8Array): RegistrationRecord {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new ProtocolError('malformed', `registration record is not JSON: ${(err as Error).message}`);
  }
  validate ??= validatorFor<RegistrationRecord>('troupe:registration');
  if (!validate(value)) throw new ProtocolError('schema', `registration record ${describeSchemaErrors(validate.errors)}`);
  return value;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The registry key of an identity. Key-value keys allow letters, digits, `_ - . = /`; identities may hold other
 * characters (`:` say). Plain identities are their own key; any other becomes `=` + base64url of its UTF-8 bytes,
 * which no plain key can start with, so two identities never share a key.
 */
export function registryKey(identity: string): string {
  if (PLAIN_KEY.test(identity)) return identity;
  return '=' + Buffer.from(identity, 'utf8').toString('base64url');
}
