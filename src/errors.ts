// The base of every error troupe raises on purpose. It imports nothing, so every module may extend it.

/** The codes of one error class, each with what it means: the error catalogue (`mco` docs, README) reads these. */
export type ErrorCodeTable = Readonly<Record<string, string>>;

export interface TroupeErrorOptions {
  /** What the reader can do about it, one line; the CLI prints it under the message. */
  hint?: string;
  cause?: unknown;
}

/**
 * An error with a stable `code` that callers and scripts switch on (never on the message), and an optional hint.
 * The CLI prints `mco: <message>`, the hint on the next line, and exits with `exitCode`.
 */
export class TroupeError extends Error {
  override readonly name: string = 'TroupeError';
  readonly code: string;
  // Not enumerable: a logged error shows its code and message, not advice meant for a terminal.
  declare readonly hint?: string;

  constructor(code: string, message: string, options: TroupeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.hint !== undefined) Object.defineProperty(this, 'hint', { value: options.hint });
  }

  /** The process exit status when a command stops on this error: 1 (MCollective's), unless a class says otherwise. */
  get exitCode(): number {
    return 1;
  }
}
