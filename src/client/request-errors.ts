// Errors a program using the client library can tell apart by `code`, as it would nats.js's.
import type { RpcResult } from './call.js';

export type RequestErrorCode =
  /** No DDL describes the agent: the client cannot check the inputs. */
  | 'unknown_agent'
  /** The agent's DDL has no such action. */
  | 'unknown_action'
  /** Inputs the action requires are missing. */
  | 'missing_inputs'
  /** An input has the wrong type, fails its validation, or is not declared. */
  | 'invalid_inputs'
  /** An option of the call itself is wrong (a batch size of 0, a collective not configured). */
  | 'invalid_option';

/** A request refused before anything was sent. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * The caller's AbortSignal fired: no further batch was published. `partial` holds what had arrived by then, when
 * the request had been sent.
 */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'aborted';
  constructor(
    message = 'the request was aborted',
    readonly partial?: RpcResult<object>,
  ) {
    super(message);
  }
}
