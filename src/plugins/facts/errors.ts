export type FactsErrorCode = 'FACTS_NOT_FOUND' | 'FACTS_READ' | 'FACTS_PARSE' | 'FACTS_NOT_MAPPING';

export interface FactsErrorDetails {
  file?: string;
  line?: number;
  cause?: unknown;
}

export class FactsError extends Error {
  override readonly name = 'FactsError';
  readonly code: FactsErrorCode;
  readonly file?: string;
  readonly line?: number;

  constructor(code: FactsErrorCode, message: string, details: FactsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.line = details.line;
  }
}
