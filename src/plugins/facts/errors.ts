import { TroupeError, type ErrorCodeTable } from '../../errors.js';

export const FACTS_ERROR_CODES = {
  FACTS_NOT_FOUND: 'a facts file does not exist',
  FACTS_READ: 'a facts file exists but cannot be read',
  FACTS_PARSE: 'a facts file is not valid YAML or JSON',
  FACTS_NOT_MAPPING: 'a facts file does not hold a mapping of fact names to values',
  FACTS_FACTER_MISSING: 'the Facter command (plugin.facts.facter_command) cannot be started',
  FACTS_FACTER_FAILED: 'Facter exited with an error and printed no facts',
  FACTS_FACTER_TIMEOUT: 'Facter did not finish within plugin.facts.facter_timeout',
  FACTS_FACTER_OUTPUT: 'Facter printed something other than a JSON mapping of facts',
} as const satisfies ErrorCodeTable;
export type FactsErrorCode = keyof typeof FACTS_ERROR_CODES;

export interface FactsErrorDetails {
  file?: string;
  line?: number;
  cause?: unknown;
  hint?: string;
}

export class FactsError extends TroupeError {
  override readonly name = 'FactsError';
  declare readonly code: FactsErrorCode;
  readonly file?: string;
  readonly line?: number;

  constructor(code: FactsErrorCode, message: string, details: FactsErrorDetails = {}) {
    super(code, message, { cause: details.cause, hint: details.hint ?? 'check the files named in plugin.yaml' });
    this.file = details.file;
    this.line = details.line;
  }
}
