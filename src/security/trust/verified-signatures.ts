// Signatures already checked in this process. The simulator runs thousands of nodes in one process and each
// receives the same signed broadcast: verifying it once is enough, because the result depends only on the
// exact text, the signature and the certificate. Certificate dates and revocation are still checked per use.
// Only a SHA-256 of the three is kept, never the text: an entry costs the same few bytes whatever the message,
// so the cache is bounded in bytes by its entry count, and a flood of large signed requests cannot fill memory.
import { createHash } from 'node:crypto';

export class VerifiedSignatures {
  private readonly digests = new Set<string>();

  constructor(private readonly maxEntries = 4096) {}

  get size(): number {
    return this.digests.size;
  }

  /** The key of one (signature, text, certificate): a SHA-256, lengths first so no two triples hash the same input. */
  keyOf(signature: string, text: string, certificate: string): string {
    return createHash('sha256')
      .update(`${signature.length}:${text.length}:${certificate.length}:`)
      .update(signature)
      .update(text)
      .update(certificate)
      .digest('base64');
  }

  has(key: string): boolean {
    return this.digests.has(key);
  }

  add(key: string): void {
    if (this.digests.has(key)) return;
    if (this.digests.size >= this.maxEntries) this.digests.delete(this.digests.values().next().value!);
    this.digests.add(key);
  }
}
