import { TroupeError, type ErrorCodeTable } from '../errors.js';

export const PROTOCOL_ERROR_CODES = {
  oversize: 'a message larger than the size limit',
  malformed: 'a message that is not the JSON (or encoding) its layer expects',
  schema: "a message that breaks its layer's JSON Schema",
} as const satisfies ErrorCodeTable;
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** A message that cannot be accepted; `code` doubles as the rejection reason counted by the daemon. */
export class ProtocolError extends TroupeError {
  override readonly name = 'ProtocolError';
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(code, message);
  }
}
