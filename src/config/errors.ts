/** Stable codes carried by every ConfigError; callers switch on these, never on messages. */
export type ConfigErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_READ'
  | 'CONFIG_SYNTAX'
  | 'CONFIG_UNKNOWN_KEY'
  | 'CONFIG_BAD_VALUE'
  /** The key is set but its value is a secret, never shown (see `isSecretKey`). */
  | 'CONFIG_SECRET';

export interface ConfigErrorDetails {
  file?: string;
  line?: number;
  key?: string;
  /** The closest declared key, when an unknown key looks like a typo. */
  suggestion?: string;
  cause?: unknown;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  readonly suggestion?: string;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
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
