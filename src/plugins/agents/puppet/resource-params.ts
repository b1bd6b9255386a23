// Which parameters `resource` may set, and to what. Each type has an allow-list (built in for file, package and
// service, `plugin.puppet.resource_allow_params.<type>` for the rest or to change them); everything not listed is
// refused. The built-in lists leave out what runs commands (validate_cmd), fetches content (source), recurses
// (recurse, purge), writes elsewhere (backup, path) or changes how packages are installed (source, install_options,
// provider). Metaparameters are never allowed, and a few values that would reach further are refused whatever the lists say.
import { keySpec } from '../../../config/index.js';
import { PuppetAgentError } from './errors.js';

/** The types whose allow-lists are built in: the defaults declared for their `resource_allow_params.<type>` keys. */
export const BUILTIN_ALLOWED_PARAMS: Readonly<Record<string, readonly string[]>> = {
  file: keySpec('plugin.puppet.resource_allow_params.file').default,
  package: keySpec('plugin.puppet.resource_allow_params.package').default,
  service: keySpec('plugin.puppet.resource_allow_params.service').default,
};

/** Types no configuration can open to `resource`, and why. */
export const NEVER_ALLOWED_TYPES: Readonly<Record<string, string>> = {
  exec: 'runs commands',
  class: 'evaluates Puppet code from the modules',
};

/** Puppet 7's metaparameters: they wire a resource to others or change how it is applied. */
export const METAPARAMETERS: ReadonlySet<string> = new Set([
  'alias',
  'audit',
  'before',
  'consume',
  'export',
  'loglevel',
  'noop',
  'notify',
  'require',
  'schedule',
  'stage',
  'subscribe',
  'tag',
]);

/** Parameters that rename the resource, so its checked name would not be the one Puppet acts on. */
function renames(type: string, param: string): boolean {
  return param === 'name' || param === 'title' || (type === 'file' && param === 'path');
}

const PARAMETER = /^[a-z][a-z0-9_]*$/;

/** `record[key]` when it is the record's own: a type named `constructor` must not find Object's. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Why `param` may never be put on an allow-list of `type`, or undefined when it may. */
export function forbiddenParam(type: string, param: string): string | undefined {
  if (!PARAMETER.test(param)) return 'is not a parameter name';
  if (METAPARAMETERS.has(param)) return 'is a metaparameter';
  if (renames(type, param)) return 'renames the resource';
  return undefined;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(message: string): never {
  throw new PuppetAgentError('invalid_input', message);
}

function oneOf(words: readonly string[]): (value: string, param: string) => void {
  return (value, param) => {
    if (!words.includes(value)) invalid(`The ${param} parameter must be one of ${words.join(', ')}, got '${value}'`);
  };
}

/** `mode` without the setuid and setgid bits: a writable file must not become a way up to its owner. */
function fileMode(value: string): void {
  const numeric = /^[0-7]{1,4}$/.test(value);
  if ((numeric && value.length === 4 && (Number(value[0]) & 6) !== 0) || (!numeric && value.includes('s'))) {
    invalid(`The mode parameter may not set the setuid or setgid bit, got '${value}'`);
  }
}

/** Puppet reads `{md5}…`-style content as a checksum and fetches the file from a filebucket. */
function fileContent(value: string): void {
  if (/^\{\w+\}/.test(value)) invalid('The content parameter may not be a checksum: Puppet would fetch the content from a filebucket');
}

/** Package versions as package managers spell them; never an option or a path. */
function packageEnsure(value: string, param: string): void {
  const words = ['present', 'installed', 'absent', 'purged', 'latest'];
  if (!words.includes(value) && !/^[0-9][A-Za-z0-9.+~:_-]*$/.test(value)) {
    invalid(`The ${param} parameter must be one of ${words.join(', ')} or a version, got '${value}'`);
  }
}

const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
function accountName(value: string, param: string): void {
  if (!OWNER.test(value)) invalid(`The ${param} parameter must be a user or group name or number, got '${value}'`);
}

/** Value rules for allowed parameters, whoever allowed them; `ensure` on a file would otherwise accept a link target. */
const VALUE_RULES: Readonly<Record<string, (value: string, param: string) => void>> = {
  'file.ensure': oneOf(['present', 'absent', 'file', 'directory', 'link']),
  'file.mode': fileMode,
  'file.content': fileContent,
  'file.owner': accountName,
  'file.group': accountName,
  'package.ensure': packageEnsure,
  'service.ensure': oneOf(['running', 'stopped', 'true', 'false']),
  'service.enable': oneOf(['true', 'false', 'manual', 'mask', 'delayed']),
};

/** Parameters whose values are paths, checked by the caller like the resource's own name. */
export const PATH_PARAMS: ReadonlySet<string> = new Set(['file.target']);

/**
 * Refuses a type without an allow-list (even a bare `tidy` deletes its file), a request parameter the list does
 * not name (not_allowed, naming the parameter and the key that would allow it) and a value outside its rule
 * (invalid_input).
 */
export function checkParams(
  type: string,
  params: Readonly<Record<string, unknown>>,
  allowed: Readonly<Record<string, readonly string[]>>,
): void {
  const list = own(allowed, type);
  if (list === undefined) {
    throw new PuppetAgentError(
      'not_allowed',
      `The ${type} type has no parameter allow-list: plugin.puppet.resource_allow_params.${type} must name the parameters it may take (empty for none)`,
    );
  }
  for (const [param, value] of Object.entries(params)) {
    if (!PARAMETER.test(param)) invalid(`Invalid resource parameter '${param}'`);
    if (METAPARAMETERS.has(param))
      throw new PuppetAgentError('not_allowed', `The parameter '${param}' is a metaparameter, which resource never allows`);
    if (!list.includes(param)) {
      const allows = list.length ? `allows only ${list.join(', ')}` : 'allows none';
      throw new PuppetAgentError(
        'not_allowed',
        `The ${type} parameter '${param}' is not allowed: plugin.puppet.resource_allow_params.${type} ${allows}`,
      );
    }
    checkValue(type, param, value);
  }
}

function checkValue(type: string, param: string, value: unknown): void {
  const rule = own(VALUE_RULES, `${type}.${param}`);
  if (rule && Array.isArray(value)) invalid(`The ${param} parameter takes one value, not a list`);
  for (const item of Array.isArray(value) ? value : [value]) {
    // Anything but strings, numbers and booleans is refused when the manifest is written.
    if (!['string', 'number', 'boolean'].includes(typeof item)) continue;
    const text = String(item);
    // Content may be any text but NUL (no argument can carry it); other values are single words or names.
    if (param === 'content' && text.includes('\0')) invalid('The content parameter may not contain NUL characters');
    if (param !== 'content' && CONTROL.test(text)) invalid(`The ${param} parameter may not contain control characters`);
    rule?.(text, param);
  }
}
