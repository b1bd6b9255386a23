// Resource types and names in the one spelling every check and Puppet itself see: the type lower-cased, a path
// canonical (no `//`, `.` or trailing `/`; `..` refused, since what it names depends on symbolic links) and then
// resolved through the symbolic links that exist, any other name a word no command line mistakes for an option.
import { lstat, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { PuppetAgentError } from './errors.js';

const TYPE = /^[a-z][a-z0-9_]*(?:::[a-z][a-z0-9_]*)*$/;
/** Types whose titles are always paths; any other title starting with `/` is treated as one too. */
const PATH_TYPES: ReadonlySet<string> = new Set(['file', 'tidy']);
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(message: string): never {
  throw new PuppetAgentError('invalid_input', message);
}

/** `File` and `file` are one type; anything that is not a type name (`file `, `file; exec`) is refused. */
export function canonicalType(raw: string): string {
  const type = raw.toLowerCase();
  if (!TYPE.test(type)) invalid(`Invalid resource type '${raw}'`);
  return type;
}

export function isPathName(type: string, name: string): boolean {
  return PATH_TYPES.has(type) || name.startsWith('/');
}

/** The lexical canonical form of an absolute path; relative paths, `..` and control characters are refused. */
export function canonicalPath(name: string, subject = 'name'): string {
  // A value with control characters is not repeated in the message.
  if (CONTROL.test(name)) invalid(`The resource ${subject} may not contain control characters`);
  if (!name.startsWith('/')) invalid(`The ${name} ${subject} must be an absolute path`);
  if (name.split('/').includes('..')) invalid(`The ${name} ${subject} may not contain '..': what it names depends on symbolic links`);
  return normalisePath(name);
}

/** Names of packages, services, users…: no leading `-` (an option to the provider's command), blank or control character. */
export function checkPlainName(name: string): void {
  if (CONTROL.test(name)) invalid(`The resource name may not contain control characters`);
  if (name.trim() !== name || name === '') invalid(`The resource name '${name}' may not start or end with blanks`);
  if (name.startsWith('-')) invalid(`The resource name '${name}' may not start with '-'`);
}

/** A title in the form the checks compare: canonical when it is a path, as given otherwise. */
export function canonicalName(type: string, name: string): string {
  if (isPathName(type, name)) return canonicalPath(name);
  checkPlainName(name);
  return name;
}

/** The lexical form of a path from configuration or resources.txt, where nothing is refused. */
export function normalisePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Where the kernel takes a canonical path today: its directory resolved through symbolic links (from the deepest
 * part that exists), then its last component; and, when that last component is itself a symbolic link, the link's
 * destination as well (Puppet replaces such a link rather than follow it, but a check that also covers the
 * destination can only refuse more). Returns the forms that differ from `canonical`.
 */
export async function resolvedForms(canonical: string): Promise<string[]> {
  if (canonical === '/') return [];
  const forms = new Set<string>();
  const missing: string[] = [posix.basename(canonical)];
  let dir = posix.dirname(canonical);
  for (;;) {
    try {
      forms.add(posix.join(await realpath(dir), ...missing));
      break;
    } catch (err) {
      if ((errno(err) !== 'ENOENT' && errno(err) !== 'ENOTDIR') || dir === '/') {
        throw new PuppetAgentError('not_allowed', `The ${canonical} name could not be resolved: ${errno(err) ?? (err as Error).message}`);
      }
      missing.unshift(posix.basename(dir));
      dir = posix.dirname(dir);
    }
  }
  const link = await lstat(canonical).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
  if (link) {
    const destination = await realpath(canonical).catch(() => undefined);
    if (destination !== undefined) forms.add(destination);
  }
  forms.delete(canonical);
  return [...forms];
}
