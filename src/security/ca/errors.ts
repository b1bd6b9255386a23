/** A certificate authority operation that cannot be done; `code` is stable for scripts and HTTP mapping. */
export class CAError extends Error {
  override readonly name = 'CAError';
  constructor(
    readonly code:
      | 'no_ca'
      | 'ca_exists'
      | 'bad_name'
      | 'bad_request'
      | 'no_request'
      | 'request_exists'
      | 'already_signed'
      | 'not_signed'
      | 'already_revoked'
      | 'revoked'
      | 'weak_key'
      | 'weak_signature'
      | 'too_many_requests'
      | 'rate_limited'
      | 'locked',
    message: string,
  ) {
    super(message);
  }
}

/** Longest certificate name: fits a file name (`<name>.pem` and its temporary twin) and any URL. */
export const MAX_CERTNAME_LENGTH = 200;

/**
 * Certificate names: Puppet's rules (lower case letters, digits, `.`, `-`, `_`), at most 200 characters, and
 * `ca` is reserved. The one rule for every command and every route of the CA service.
 */
export function checkCertname(name: string): string {
  if (typeof name !== 'string' || name.length > MAX_CERTNAME_LENGTH) {
    const shown = String(name).slice(0, 40);
    throw new CAError('bad_name', `'${shown}…' is not a valid certificate name (longer than ${MAX_CERTNAME_LENGTH} characters)`);
  }
  if (!/^[a-z0-9_][a-z0-9._-]*$/.test(name) || name.includes('..') || name === 'ca') {
    throw new CAError('bad_name', `'${name}' is not a valid certificate name (lower-case letters, digits, '.', '-', '_'; not 'ca')`);
  }
  return name;
}
