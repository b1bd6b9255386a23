import { TroupeError, type ErrorCodeTable } from '../errors.js';

/** Stable codes carried by every ConfigError; callers switch on these, never on messages. */
export const CONFIG_ERROR_CODES = {
  CONFIG_NOT_FOUND: 'the config file does not exist',
  CONFIG_READ: 'the config file exists but cannot be read',
  CONFIG_SYNTAX: 'a line is not `key = value`',
  CONFIG_UNKNOWN_KEY: 'a key no part of troupe declares (the message suggests the closest one)',
  CONFIG_BAD_VALUE: "a value is not of its key's type or range",
  CONFIG_SECRET: 'the key is set but its value is a secret, never shown (see `isSecretKey`)',
} as const satisfies ErrorCodeTable;
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

export interface ConfigErrorDetails {
  file?: string;
  line?: number;
  key?: string;
  /** The closest declared key, when an unknown key looks like a typo. */
  suggestion?: string;
  cause?: unknown;
}

export class ConfigError extends TroupeError {
  override readonly name = 'ConfigError';
  declare readonly code: ConfigErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  readonly suggestion?: string;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}) {
    // The message of an unknown key usually carries its suggestion already.
    const { suggestion } = details;
    const hint = suggestion && !message.includes(suggestion) ? `did you mean '${suggestion}'?` : undefined;
    super(code, message, { cause: details.cause, hint });
    this.file = details.file;
    this.line = details.line;
    this.key = details.key;
    this.suggestion = details.suggestion;
  }
}

/** Where a setting came from, used to prefix error messages the way compilers do: `file:line`. */
export interface SettingOrigin {
  file?: string;
  line?: number;
  /** True when the setting came from an override (command line or environment), not a file. */
  override?: boolean;
}

export function describeOrigin(origin: SettingOrigin): string {
  if (origin.override) return 'override';
  const file = origin.file ?? '<config>';
  return origin.line === undefined ? file : `${file}:${origin.line}`;
}
