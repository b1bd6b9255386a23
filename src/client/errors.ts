import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const USAGE_ERROR_CODES = {
  usage: 'a command, argument or option the client cannot act on (unknown agent or action, missing input, bad option)',
  finished: '`mco plan cancel`: the plan run has already finished',
  // `mco plan` and `mco governor` give their store's and governor's errors a hint, keeping the code.
  not_found: '`mco plan`, `mco governor`: no such plan run or governor (PlanStoreError, GovernorError)',
  unavailable: '`mco plan`, `mco governor`: no JetStream, or no broker permission for it',
  corrupt: '`mco plan`: a stored plan run record cannot be read back (PlanStoreError)',
  exists: '`mco plan`: a plan run with that id already exists (PlanStoreError)',
  timeout: '`mco governor`: no slot came free within the wait (GovernorError)',
  bad_input: '`mco governor`: not a governor name, capacity or expiry (GovernorError)',
  aborted: '`mco governor`: the wait for a slot was given up on (GovernorError)',
} as const satisfies ErrorCodeTable;
export type UsageErrorCode = keyof typeof USAGE_ERROR_CODES;

/** A request the client refuses before sending anything: one line plus a hint. */
export class UsageError extends TroupeError {
  override readonly name = 'UsageError';
  declare readonly code: UsageErrorCode;
  constructor(message: string, hint?: string, code: UsageErrorCode = 'usage') {
    super(code, message, { hint });
  }
}
