import { TroupeError, type ErrorCodeTable } from '../../errors.js';

export const CA_ERROR_CODES = {
  no_ca: 'no CA in the directory (create one with `mco ca init`)',
  ca_exists: 'the directory already holds a CA',
  bad_name: 'not a valid certificate name (lower-case letters, digits, `.`, `-`, `_`; at most 200; not `ca`)',
  bad_request: 'a certificate request that cannot be read, or is for another name',
  no_request: 'no pending request for that name',
  request_exists: 'a different request for that name is already waiting',
  already_signed: 'the name already has a signed certificate; revoke it first',
  not_signed: 'the name has no certificate or request',
  already_revoked: 'the certificate is already revoked',
  revoked: 'the certificate is revoked; it is not signed again until `mco ca clean NAME`',
  weak_key: 'the key is too weak or of a kind not accepted',
  weak_signature: 'the request is signed with an algorithm not accepted (SHA-1)',
  too_many_requests: 'the CA holds as many pending requests as it allows',
  rate_limited: 'too many requests from one address; retry later',
  locked: 'the CA directory is locked by another command',
} as const satisfies ErrorCodeTable;
export type CAErrorCode = keyof typeof CA_ERROR_CODES;

/** A certificate authority operation that cannot be done; `code` is stable for scripts and HTTP mapping. */
export class CAError extends TroupeError {
  override readonly name = 'CAError';
  declare readonly code: CAErrorCode;
  constructor(code: CAErrorCode, message: string) {
    super(code, message);
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
