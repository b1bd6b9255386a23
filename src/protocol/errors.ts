/** A message that cannot be accepted; `code` doubles as the rejection reason counted by the daemon. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(readonly code: ProtocolErrorCode, message: string) {
    super(message);
  }
}

export type ProtocolErrorCode =
  | 'oversize'
  | 'malformed'
  | 'schema';
