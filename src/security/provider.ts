import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { RequestEnvelope, SecureReply, SecureRequest } from '../protocol/index.js';

/**
 * Sits in the path of every request and reply. The client wraps what it sends; the node proves who sent it
 * before anything else looks at the request, and the client checks every reply the same way.
 */
export interface SecurityProvider {
  readonly name: string;
  /** The caller id this process acts as, e.g. `cert=ops.example.com`. */
  callerId(): string;
  wrapRequest(requestText: string): SecureRequest;
  /**
   * Authenticates a request already decoded from `secure.request`, checks its age (security/age.ts) and that it is
   * not a replay. Returns the caller id proven by the credentials; throws SecurityError otherwise.
   */
  verifyRequest(secure: SecureRequest, request: RequestEnvelope): { caller: string };
  /**
   * Called just before the request's action runs, once it is known to be for this node and allowed: records its
   * id so a replay is refused. Throws SecurityError (`replay`, `replay_quota`, `replay_cache_full`) to refuse it.
   * Requests that never get this far take no room. Absent when the provider keeps no replay record.
   */
  admitRequest?(request: RequestEnvelope, caller: string): void;
  wrapReply(replyText: string): SecureReply;
  /** Throws SecurityError when the reply was altered or is not from a trusted node. */
  verifyReply(secure: SecureReply): void;
  /** Stops background work (CRL refreshes). */
  close?(): void;
}

export const SECURITY_ERROR_CODES = {
  not_configured: 'a CA, certificate, key or CRL file the provider needs is not configured or cannot be read',
  no_certificate: 'no certificate and key to sign with (run `mco enroll`, or set plugin.security.ssldir / cert / key)',
  key_mismatch: 'the private key does not belong to the certificate',
  identity_mismatch: "`identity` differs from the name in this process's certificate, so its replies would be refused",
  no_ca: 'the CA file holds no certificate',
  bad_ca: 'the CA file holds a certificate that cannot be read, is not a CA, or is not one chain to a root',
  bad_crl: 'a CRL that cannot be read or is not issued by the CA',
  unsigned: 'a request with no signature or certificate',
  bad_signature: 'the signature of a request does not match its text and certificate',
  malformed_certificate: 'a certificate that is not one well-formed PEM certificate',
  oversized_certificate: 'a certificate larger than the limit',
  untrusted_certificate: 'a certificate not issued by the trusted CA, or a CA certificate used as a leaf',
  weak_certificate: 'a certificate signed with SHA-1, or with a key too weak',
  expired_certificate: 'a certificate outside its validity period',
  revoked_certificate: 'a certificate (or the CA that issued it) the CRL revokes',
  not_a_client: 'a certificate whose key usage does not allow it to sign requests',
  caller_mismatch: 'the caller a request claims is not the certificate that signed it',
  ttl_expired: 'a request older than its TTL',
  future_message: 'a request dated further in the future than the allowed clock skew',
  before_start: 'a request dated before this node began recording request ids',
  replay: 'a request id already seen within its TTL',
  replay_quota: 'a caller with more requests still within their TTL than its quota',
  replay_cache_full: 'the replay record is full of request ids still within their TTL',
  replay_journal: 'the replay journal cannot be read, written or rewritten',
  unsigned_reply: 'a reply with no signature or certificate',
  reply_malformed: 'a signed reply that is not JSON',
  reply_hash_mismatch: 'a reply that does not match its hash',
  bad_reply_signature: 'the signature of a reply does not match its text and certificate',
  reply_sender_mismatch: 'a reply signed by a certificate other than its sender',
} as const satisfies ErrorCodeTable;
export type SecurityErrorCode = keyof typeof SECURITY_ERROR_CODES;

/** A request or reply that failed authentication; `code` is the rejection reason the daemon counts. */
export class SecurityError extends TroupeError {
  override readonly name = 'SecurityError';
  declare readonly code: SecurityErrorCode;
  constructor(code: SecurityErrorCode, message: string) {
    super(code, message);
  }
}
