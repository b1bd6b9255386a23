// Errors a program using the client library can tell apart by `code`, as it would nats.js's.
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { RpcResult } from './call.js';

export const REQUEST_ERROR_CODES = {
  unknown_agent: 'no DDL describes the agent, so the client cannot check the inputs',
  unknown_action: "the agent's DDL has no such action",
  missing_inputs: 'inputs the action requires are missing',
  invalid_inputs: 'an input has the wrong type, fails its validation, or is not declared',
  invalid_option: 'an option of the call itself is wrong (a batch size of 0, a collective not configured)',
} as const satisfies ErrorCodeTable;
export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

/** A request refused before anything was sent. */
export class RequestError extends TroupeError {
  override readonly name = 'RequestError';
  declare readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string, hint?: string) {
    super(code, message, { hint });
  }
}

export const ABORT_ERROR_CODES = {
  aborted: "the caller's AbortSignal fired; no further batch was published",
} as const satisfies ErrorCodeTable;

/**
 * The caller's AbortSignal fired: no further batch was published. `partial` holds what had arrived by then, when
 * the request had been sent.
 */
export class AbortError extends TroupeError {
  override readonly name = 'AbortError';
  declare readonly code: keyof typeof ABORT_ERROR_CODES;
  constructor(
    message = 'the request was aborted',
    readonly partial?: RpcResult<object>,
  ) {
    super('aborted', message);
  }
}
