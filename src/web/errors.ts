// What the web console answers when a request cannot be served, each with a stable code and its HTTP status.
import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const WEB_ERROR_CODES = {
  WEB_UNAUTHENTICATED: 'no session, or the session expired: log in',
  WEB_BAD_CREDENTIALS: 'the user name or password is wrong',
  WEB_CSRF: 'the CSRF token is missing or does not match the session',
  WEB_FORBIDDEN_ACTION: "none of the user's roles may run that agent action",
  WEB_OUT_OF_SCOPE: "the filter reaches nodes outside the role's scope",
  WEB_FLEET_REFUSED: 'the role refuses unfiltered (whole-fleet) requests',
  WEB_BAD_REQUEST: 'the request does not match the route schema',
  WEB_BAD_JSON: 'the request body is not valid JSON',
  WEB_BAD_FILTER: 'the filter does not parse (the caret shows where)',
  WEB_INVALID_INPUTS: "the action's inputs fail the DDL's validation",
  WEB_UNKNOWN_AGENT: 'no agent or action of that name',
  WEB_TOO_LARGE: 'the request body is larger than the limit',
  WEB_UNSUPPORTED_MEDIA: 'the request body is not JSON',
  WEB_RATE_LIMITED: 'too many login attempts; wait and try again',
  WEB_NOT_FOUND: 'no such job, node, plan run, filter or route',
  WEB_CONFLICT: 'the job or plan run is not in a state that allows this',
  WEB_UNAVAILABLE: 'the registry, the job history or the broker cannot be reached',
  WEB_CONFIG: 'the users file, roles file or TLS settings cannot be used',
  WEB_INTERNAL: 'an unexpected failure inside the server (logged)',
} as const satisfies ErrorCodeTable;
export type WebErrorCode = keyof typeof WEB_ERROR_CODES;

const STATUS: Record<WebErrorCode, number> = {
  WEB_UNAUTHENTICATED: 401,
  WEB_BAD_CREDENTIALS: 401,
  WEB_CSRF: 403,
  WEB_FORBIDDEN_ACTION: 403,
  WEB_OUT_OF_SCOPE: 403,
  WEB_FLEET_REFUSED: 403,
  WEB_BAD_REQUEST: 400,
  WEB_BAD_JSON: 400,
  WEB_BAD_FILTER: 400,
  WEB_INVALID_INPUTS: 400,
  WEB_UNKNOWN_AGENT: 404,
  WEB_TOO_LARGE: 413,
  WEB_UNSUPPORTED_MEDIA: 415,
  WEB_RATE_LIMITED: 429,
  WEB_NOT_FOUND: 404,
  WEB_CONFLICT: 409,
  WEB_UNAVAILABLE: 503,
  WEB_CONFIG: 500,
  WEB_INTERNAL: 500,
};

export interface WebErrorDetails {
  hint?: string;
  /** Where a filter went wrong: the 0-based column and the filter text. */
  caret?: { column: number; text: string };
  /** The input a DDL validation failure is about. */
  field?: string;
  cause?: unknown;
}

export class WebError extends TroupeError {
  override readonly name = 'WebError';
  declare readonly code: WebErrorCode;
  readonly caret?: { column: number; text: string };
  readonly field?: string;

  constructor(code: WebErrorCode, message: string, details: WebErrorDetails = {}) {
    super(code, message, { hint: details.hint, cause: details.cause });
    if (details.caret) this.caret = details.caret;
    if (details.field) this.field = details.field;
  }

  get status(): number {
    return STATUS[this.code];
  }

  /** The JSON body the API answers with. */
  body(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.hint) error.hint = this.hint;
    if (this.caret) error.caret = this.caret;
    if (this.field) error.field = this.field;
    return { error };
  }
}
