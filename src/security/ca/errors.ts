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
      | 'locked',
    message: string,
  ) {
    super(message);
  }
}

/** Certificate names: Puppet's rules (lower case letters, digits, `.`, `-`, `_`), and `ca` is reserved. */
export function checkCertname(name: string): string {
  if (!/^[a-z0-9_][a-z0-9._-]{0,254}$/.test(name) || name.includes('..') || name === 'ca') {
    throw new CAError('bad_name', `'${name}' is not a valid certificate name (lower-case letters, digits, '.', '-', '_'; not 'ca')`);
  }
  return name;
}
