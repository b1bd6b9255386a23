// Which settings are secrets, and how values that embed one (credentials in a URL) are shown.
// A secret's value never leaves the process: not in rpcutil#get_config_item, not in a log line or error message.
import { KEY_SPECS, isConfigKey } from './keys.js';

/** What a secret, or the secret part of a value, reads as wherever it would have been shown. */
export const REDACTED = '[redacted]';

/**
 * Fragments that mark a key secret wherever they occur in its name, so that undeclared plugin keys
 * (`plugin.myagent.db_password`, `plugin.vault.token_file`) are hidden without being declared.
 * Hiding a harmless key costs an operator one remote look-up; showing a secret costs the secret.
 */
const SECRET_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'credential',
  'apikey',
  'api_key',
  'privatekey',
  'private_key',
  'psk',
];
/** Whole words (between `.`, `_` and `-`) too short to match as fragments without hiding `compass` or `bypass`. */
const SECRET_WORDS = new Set(['pass', 'pw', 'pwd']);

/**
 * True when `key`'s value must never be shown: a declared key says so with `secret` (true or false wins),
 * any other key is secret when its name contains one of the fragments above.
 */
export function isSecretKey(key: string): boolean {
  if (isConfigKey(key)) {
    const declared = KEY_SPECS[key].secret;
    if (declared !== undefined) return declared;
  }
  const name = key.toLowerCase();
  return SECRET_FRAGMENTS.some((f) => name.includes(f)) || name.split(/[._-]/).some((w) => SECRET_WORDS.has(w));
}

/** Characters that end a URL's authority (`userinfo@host:port`). */
const AUTHORITY_END = new Set(['/', '?', '#', ' ', '\t', '\r', '\n', ',']);

/**
 * `text` with the credentials of every URL in it masked: `amqp://ops:hunter2@mq` reads `amqp://ops:[redacted]@mq`.
 * A user alone is masked too, since NATS (`nats://<token>@host`) and git hosts take a bare token in its place.
 * The user info ends at the authority's last `@`, as URL parsers read it, so a password holding an `@` is masked
 * whole. One pass from each `://` (no regular expression): the cost stays linear in the text's length.
 */
export function maskUrlCredentials(text: string): string {
  let out = '';
  let from = 0;
  for (let sep = text.indexOf('://'); sep >= 0; sep = text.indexOf('://', sep + 3)) {
    const start = sep + 3;
    let end = start;
    let at = -1;
    for (; end < text.length && !AUTHORITY_END.has(text[end]!); end++) if (text[end] === '@') at = end;
    if (at <= start) continue;
    const userinfo = text.slice(start, at);
    const colon = userinfo.indexOf(':');
    out += text.slice(from, start) + (colon > 0 ? `${userinfo.slice(0, colon)}:${REDACTED}` : REDACTED);
    from = at;
  }
  return out + text.slice(from);
}
