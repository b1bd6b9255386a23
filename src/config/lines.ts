import { ConfigError } from './errors.js';
import { isSecretKey, maskUrlCredentials } from './secrets.js';

/** One `key = value` setting as written, with the line it came from. */
export interface ConfigLine {
  key: string;
  value: string;
  line: number;
}

/**
 * Splits MCollective-style config text into settings. `#` starts a comment only at the start of
 * a line: values such as passwords may contain `#`, so there are no trailing comments.
 */
export function splitConfigLines(text: string, file?: string): ConfigLine[] {
  const settings: ConfigLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const equals = trimmed.indexOf('=');
    const key = equals < 0 ? '' : trimmed.slice(0, equals).trim();
    if (key === '') {
      const where = `${file ?? '<config>'}:${line}`;
      // The message reaches logs (a failed reload): a line that looks like it holds a secret is not quoted.
      const got =
        isSecretKey(trimmed) || equals === 0 ? 'a line that is not shown (it may hold a secret)' : `"${maskUrlCredentials(trimmed)}"`;
      throw new ConfigError('CONFIG_SYNTAX', `${where}: expected "key = value", got ${got}`, { file, line });
    }
    settings.push({ key, value: trimmed.slice(equals + 1).trim(), line });
  });
  return settings;
}
