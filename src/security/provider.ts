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

/** A request or reply that failed authentication; `code` is the rejection reason the daemon counts. */
export class SecurityError extends Error {
  override readonly name = 'SecurityError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
