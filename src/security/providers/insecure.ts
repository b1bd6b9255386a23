import { userInfo } from 'node:os';
import { PROTOCOL, sha256Hex, type RequestEnvelope, type SecureReply, type SecureRequest } from '../../protocol/index.js';
import { SecurityError, type SecurityProvider } from '../provider.js';
import { checkRequestAge, DEFAULT_AGE_RULE, type AgeRule } from '../age.js';

/**
 * Trusts whatever the message says about its caller. For local experiments only: anyone who can publish to
 * the broker can make every node run any action. Replies still carry a SHA-256 so corruption is detected.
 */
export class InsecureProvider implements SecurityProvider {
  readonly name = 'insecure';
  static readonly WARNING =
    'securityprovider = insecure: requests are NOT authenticated; anyone on the broker can run any action on every node';

  /** `age`: the node's TTL cap and clock skew; an unsigned request is held to the same age rule as a signed one. */
  constructor(
    private readonly caller = `user=${safeUserName()}`,
    private readonly age: AgeRule = DEFAULT_AGE_RULE,
    private readonly now: () => number = Date.now,
  ) {}

  callerId(): string {
    return this.caller;
  }

  wrapRequest(requestText: string): SecureRequest {
    return { protocol: PROTOCOL.secureRequest, request: requestText };
  }

  verifyRequest(_secure: SecureRequest, request: RequestEnvelope): { caller: string } {
    // No replay record: without signatures anyone can make a fresh request, so a replayed one proves nothing more.
    checkRequestAge(request, this.age, this.now());
    return { caller: request.caller };
  }

  wrapReply(replyText: string): SecureReply {
    return { protocol: PROTOCOL.secureReply, reply: replyText, hash: sha256Hex(replyText) };
  }

  verifyReply(secure: SecureReply): void {
    if (sha256Hex(secure.reply) !== secure.hash) {
      throw new SecurityError('reply_hash_mismatch', 'reply does not match its hash');
    }
  }
}

function safeUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
