import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const USAGE_ERROR_CODES = {
  usage: 'a command, argument or option the client cannot act on (unknown agent or action, missing input, bad option)',
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
