// X.509 message security. Clients sign the exact request text with their key and send their certificate;
// nodes check the certificate against the CA and its CRL, the signature, the caller named in the request,
// the request's age and that its id is new (recorded only once the request is about to run), then sign their
// replies the same way.
import type { KeyObject } from 'node:crypto';
import { PROTOCOL, sha256Hex, type RequestEnvelope, type SecureReply, type SecureRequest } from '../../protocol/index.js';
import { SecurityError, type SecurityErrorCode, type SecurityProvider } from '../provider.js';
import { keysMatch, signBytes, verifyBytes } from '../pki/keys.js';
import type { ReplayCache } from '../trust/replay-cache.js';
import type { TrustedCertificate, TrustStore } from '../trust/trust-store.js';
import { VerifiedSignatures } from '../trust/verified-signatures.js';
import { checkRequestAge, DEFAULT_AGE_RULE, effectiveTtlMs, type AgeRule } from '../age.js';

/** The certificate and key this process signs with. */
export interface PkiIdentity {
  certificatePem: string;
  privateKey: KeyObject;
}

export interface PkiProviderOptions {
  trust: TrustStore;
  /** Needed to sign requests (clients) and replies (nodes). */
  identity?: PkiIdentity;
  /** Nodes: request ids seen within their TTL. */
  replay?: ReplayCache;
  /** Shared by every provider in a process so one broadcast is verified once. */
  signatures?: VerifiedSignatures;
  /** Certificate names allowed to send requests; any name when omitted. */
  clientPattern?: RegExp;
  /** Requests only from certificates whose extended key usage allows client authentication. */
  requireClientKeyUsage?: boolean;
  /** Requests only from certificates carrying the operator role, which the CA sets only on explicit signing (default on). */
  requireOperatorRole?: boolean;
  /** Nodes sign their replies; clients refuse unsigned replies. */
  signReplies?: boolean;
  /** The node's TTL cap and clock skew (security/age.ts), the same rule the insecure provider applies. */
  age?: AgeRule;
  now?: () => number;
  /** Run by close(), e.g. to stop a CRL refresh timer. */
  onClose?: () => void;
}

export const CALLER_PREFIX = 'cert=';

export class PkiProvider implements SecurityProvider {
  readonly name = 'pki';
  private readonly own?: TrustedCertificate;
  private readonly signatures: VerifiedSignatures;
  private readonly now: () => number;

  constructor(private readonly opts: PkiProviderOptions) {
    this.signatures = opts.signatures ?? new VerifiedSignatures();
    this.now = opts.now ?? Date.now;
    if (opts.identity) {
      this.own = opts.trust.verify(opts.identity.certificatePem);
      if (!keysMatch(opts.identity.privateKey, this.own.publicKey)) {
        throw new SecurityError('key_mismatch', `the private key does not belong to certificate ${this.own.commonName}`);
      }
    }
  }

  /** The name in this process's certificate. */
  get certname(): string | undefined {
    return this.own?.commonName;
  }

  callerId(): string {
    return CALLER_PREFIX + this.identity().cert.commonName;
  }

  private identity(): { cert: TrustedCertificate; key: PkiIdentity } {
    if (!this.own || !this.opts.identity) {
      throw new SecurityError(
        'no_certificate',
        'no certificate and key configured to sign with (run `mco enroll`, or set plugin.security.ssldir / cert / key)',
      );
    }
    return { cert: this.own, key: this.opts.identity };
  }

  wrapRequest(requestText: string): SecureRequest {
    const { key } = this.identity();
    return {
      protocol: PROTOCOL.secureRequest,
      request: requestText,
      signature: signBytes(Buffer.from(requestText), key.privateKey).toString('base64'),
      certificate: key.certificatePem,
    };
  }

  verifyRequest(secure: SecureRequest, request: RequestEnvelope): { caller: string } {
    if (!secure.signature || !secure.certificate) throw new SecurityError('unsigned', 'request carries no signature or certificate');
    const cert = this.opts.trust.verify(secure.certificate);
    if (this.opts.requireClientKeyUsage !== false && !cert.clientAuth) {
      throw new SecurityError('not_a_client', `certificate ${cert.commonName} is not allowed client authentication by its key usage`);
    }
    if (this.opts.requireOperatorRole !== false && !cert.operator) {
      throw new SecurityError(
        'not_a_client',
        `certificate ${cert.commonName} is not an operator certificate (no pp_auth_role = troupe-operator); operator certificates are signed explicitly with \`mco ca sign\``,
      );
    }
    if (this.opts.clientPattern && !this.opts.clientPattern.test(cert.commonName)) {
      throw new SecurityError(
        'not_a_client',
        `certificate ${cert.commonName} does not match the client name pattern ${this.opts.clientPattern.source}`,
      );
    }
    this.checkSignature(secure.request, secure.signature, secure.certificate, cert, 'bad_signature', true);
    const caller = CALLER_PREFIX + cert.commonName;
    if (request.caller !== caller) {
      throw new SecurityError('caller_mismatch', `request claims caller '${request.caller}' but is signed by ${caller}`);
    }
    const now = this.now();
    checkRequestAge(request, this.ageRule, now);
    // Only a check: the id is recorded by admitRequest(), once the request is known to run here.
    this.opts.replay?.check(request.id, request.time, now);
    return { caller };
  }

  admitRequest(request: RequestEnvelope, caller: string): void {
    const now = this.now();
    this.opts.replay?.remember(request.id, caller, request.time + effectiveTtlMs(request, this.ageRule), now);
  }

  private get ageRule(): AgeRule {
    return this.opts.age ?? DEFAULT_AGE_RULE;
  }

  private checkSignature(
    text: string,
    signature: string,
    certificatePem: string,
    cert: TrustedCertificate,
    code: SecurityErrorCode,
    remember: boolean,
  ): void {
    const key = remember ? this.signatures.keyOf(signature, text, certificatePem) : undefined;
    if (key !== undefined && this.signatures.has(key)) return;
    if (!verifyBytes(Buffer.from(text), cert.publicKey, Buffer.from(signature, 'base64'))) {
      throw new SecurityError(code, `signature does not match the text and certificate ${cert.commonName}`);
    }
    if (key !== undefined) this.signatures.add(key);
  }

  wrapReply(replyText: string): SecureReply {
    const secure: SecureReply = { protocol: PROTOCOL.secureReply, reply: replyText, hash: sha256Hex(replyText) };
    if (this.opts.signReplies === false) return secure;
    const { key } = this.identity();
    secure.signature = signBytes(Buffer.from(replyText), key.privateKey).toString('base64');
    secure.certificate = key.certificatePem;
    return secure;
  }

  verifyReply(secure: SecureReply): void {
    if (sha256Hex(secure.reply) !== secure.hash) throw new SecurityError('reply_hash_mismatch', 'reply does not match its hash');
    if (!secure.signature || !secure.certificate) {
      if (this.opts.signReplies === false) return;
      throw new SecurityError('unsigned_reply', 'reply is not signed');
    }
    const cert = this.opts.trust.verify(secure.certificate);
    // Each reply is unique, so there is nothing to gain from remembering it.
    this.checkSignature(secure.reply, secure.signature, secure.certificate, cert, 'bad_reply_signature', false);
    let sender: unknown;
    try {
      sender = (JSON.parse(secure.reply) as { sender?: unknown }).sender;
    } catch {
      throw new SecurityError('reply_malformed', 'signed reply is not JSON');
    }
    if (sender !== cert.commonName) {
      throw new SecurityError('reply_sender_mismatch', `reply from '${String(sender)}' is signed by certificate ${cert.commonName}`);
    }
  }

  close(): void {
    this.opts.onClose?.();
  }
}
