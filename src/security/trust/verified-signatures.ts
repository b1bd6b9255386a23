// Signatures already checked in this process. The simulator runs thousands of nodes in one process and each
// receives the same signed broadcast: verifying it once is enough, because the result depends only on the
// exact text, the signature and the certificate. Certificate dates and revocation are still checked per use.

export class VerifiedSignatures {
  private readonly entries = new Map<string, { text: string; certificate: string }>();

  constructor(private readonly maxEntries = 4096) {}

  has(signature: string, text: string, certificate: string): boolean {
    const e = this.entries.get(signature);
    return e !== undefined && e.text === text && e.certificate === certificate;
  }

  add(signature: string, text: string, certificate: string): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(signature, { text, certificate });
  }
}
