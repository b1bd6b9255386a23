/** An error the CLI reports as one line plus a hint; exit code 1 unless stated. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly hint?: string, readonly code = 'usage') {
    super(message);
  }
}
