import fs from 'node:fs';
import { ConfigError, describeOrigin, type SettingOrigin } from './errors.js';
import { CONFIG_KEYS, KEY_SPECS, isConfigKey, type ConfigKey, type ConfigValue } from './keys.js';
import { splitConfigLines } from './lines.js';
import { closestMatch } from './suggest.js';
import { REDACTED, isSecretKey, maskUrlCredentials } from './secrets.js';
import { formatValue, parseValue } from './values.js';

export interface Config {
  /** The typed, validated value of a declared key (its default when not set). */
  get<K extends ConfigKey>(key: K): ConfigValue<K>;
  /**
   * Every `plugin.<name>.*` setting that was written (file or override), declared or not, as raw
   * text with the `plugin.<name>.` prefix removed. Declared keys are also available typed via get().
   */
  plugin(name: string): Record<string, string>;
  /** Whether `key` was written (file or override), rather than left at its default. */
  isSet(key: ConfigKey): boolean;
  /** The file the settings were read from, if any. */
  readonly file?: string;
  /** Effective values of all declared keys, plus undeclared `plugin.*` keys as raw strings. */
  readonly values: Readonly<Record<string, unknown>>;
}

interface Setting {
  value: string;
  origin: SettingOrigin;
}

const PLUGIN_PREFIX = 'plugin.';
const DECLARED_NAMES = CONFIG_KEYS.map((declaration) => declaration.name);

/**
 * Parses config text. Overrides (from the command line or environment) win over the text and
 * are validated the same way. A key set twice keeps its last value, as MCollective does.
 */
export function parseConfig(text: string, file?: string, overrides: Record<string, string> = {}): Config {
  const settings = new Map<string, Setting>();
  const remember = (key: string, value: string, origin: SettingOrigin): void => {
    rejectUnknownKey(key, origin);
    settings.set(key, { value, origin });
  };
  for (const { key, value, line } of splitConfigLines(text, file)) remember(key, value, { file, line });
  for (const [key, value] of Object.entries(overrides)) remember(key.trim(), value.trim(), { override: true });
  return new ResolvedConfig(resolveValues(settings), rawPluginSettings(settings), new Set(settings.keys()), file);
}

/** Reads and parses a config file; `undefined` means no file at all, every key at its default. */
export function loadConfig(file: string | undefined, overrides: Record<string, string> = {}): Config {
  if (file === undefined) return parseConfig('', undefined, overrides);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError('CONFIG_NOT_FOUND', `config file ${file} does not exist`, { file, cause: err });
    }
    throw new ConfigError('CONFIG_READ', `cannot read config file ${file}: ${(err as Error).message}`, {
      file,
      cause: err,
    });
  }
  return parseConfig(text, file, overrides);
}

/**
 * The effective value of one setting as text, for remote inspection (rpcutil#get_config_item).
 * Accepts declared keys and any `plugin.*` key that was set. A secret key throws CONFIG_SECRET instead,
 * and credentials in URLs are masked, so what this returns may be shown to anyone allowed to ask.
 */
export function describeConfigItem(config: Config, key: string): string {
  const raw = isConfigKey(key)
    ? formatValue(KEY_SPECS[key], config.get(key))
    : key.startsWith(PLUGIN_PREFIX)
      ? config.values[key]
      : undefined;
  if (typeof raw === 'string') {
    if (isSecretKey(key)) throw new ConfigError('CONFIG_SECRET', `${key} is a secret: its value is not shown`, { key });
    return maskUrlCredentials(raw);
  }
  const suggestion = key.startsWith(PLUGIN_PREFIX) ? undefined : closestMatch(key, DECLARED_NAMES);
  const reason = key.startsWith(PLUGIN_PREFIX) ? 'is not set' : 'is not a config key';
  throw new ConfigError('CONFIG_UNKNOWN_KEY', `${key} ${reason}${didYouMean(suggestion)}`, { key, suggestion });
}

class ResolvedConfig implements Config {
  readonly values: Readonly<Record<string, unknown>>;

  constructor(
    values: Record<string, unknown>,
    private readonly rawPlugin: ReadonlyMap<string, string>,
    private readonly written: ReadonlySet<string>,
    readonly file?: string,
  ) {
    this.values = Object.freeze(values);
  }

  get<K extends ConfigKey>(key: K): ConfigValue<K> {
    const value = this.values[key];
    // Hand out copies of lists so one consumer cannot change what another sees.
    return (Array.isArray(value) ? [...(value as unknown[])] : value) as ConfigValue<K>;
  }

  isSet(key: ConfigKey): boolean {
    return this.written.has(key);
  }

  plugin(name: string): Record<string, string> {
    const prefix = `${PLUGIN_PREFIX}${name}.`;
    const result: Record<string, string> = {};
    for (const [key, value] of this.rawPlugin) {
      if (key.startsWith(prefix)) result[key.slice(prefix.length)] = value;
    }
    return result;
  }
}

function rejectUnknownKey(key: string, origin: SettingOrigin): void {
  if (isConfigKey(key) || (key.startsWith(PLUGIN_PREFIX) && key.length > PLUGIN_PREFIX.length)) return;
  const suggestion = closestMatch(key, DECLARED_NAMES);
  throw new ConfigError('CONFIG_UNKNOWN_KEY', `${describeOrigin(origin)}: unknown config key "${key}"${didYouMean(suggestion)}`, {
    ...origin,
    key,
    suggestion,
  });
}

function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
}

function resolveValues(settings: ReadonlyMap<string, Setting>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const declaration of CONFIG_KEYS) {
    const setting = settings.get(declaration.name);
    if (setting === undefined) {
      const fallback = declaration.default;
      values[declaration.name] = freezeValue(typeof fallback === 'function' ? fallback(values) : fallback);
      continue;
    }
    const parsed = parseValue(declaration, setting.value);
    if (!parsed.ok) {
      // The message reaches logs (a failed reload): it must not carry a secret or a URL's credentials.
      const shown = isSecretKey(declaration.name) ? REDACTED : maskUrlCredentials(setting.value);
      throw badValue(declaration.name, setting, `expected ${maskUrlCredentials(parsed.expected)}, got "${shown}"`);
    }
    values[declaration.name] = freezeValue(parsed.value);
  }
  for (const [key, setting] of settings) {
    if (!isConfigKey(key)) values[key] = setting.value;
  }
  checkMainCollective(values, settings);
  return values;
}

function checkMainCollective(values: Record<string, unknown>, settings: ReadonlyMap<string, Setting>): void {
  const collectives = values['collectives'] as readonly string[];
  const main = values['main_collective'] as string;
  if (collectives.includes(main)) return;
  // Blame the line that set main_collective, or the collectives line when main_collective was derived.
  const key = settings.has('main_collective') ? 'main_collective' : 'collectives';
  const setting = settings.get(key) ?? { value: main, origin: {} };
  throw badValue(key, setting, `main_collective "${main}" must be one of collectives (${collectives.join(', ')})`);
}

function badValue(key: string, setting: Setting, detail: string): ConfigError {
  return new ConfigError('CONFIG_BAD_VALUE', `${describeOrigin(setting.origin)}: ${key}: ${detail}`, {
    ...setting.origin,
    key,
  });
}

function rawPluginSettings(settings: ReadonlyMap<string, Setting>): Map<string, string> {
  const raw = new Map<string, string>();
  for (const [key, setting] of settings) {
    if (key.startsWith(PLUGIN_PREFIX)) raw.set(key, setting.value);
  }
  return raw;
}

function freezeValue(value: unknown): unknown {
  return Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
}
