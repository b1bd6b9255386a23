// Browser certificates against the CA's current CRL. The file is re-read whenever its mtime, size or inode changed,
// checked at each login by certificate and each request of a session opened by one: a certificate revoked while
// `mco web` runs logs in no more, on new connections and kept-alive ones alike, and its sessions end.
import { readFileSync, statSync } from 'node:fs';
import { SecurityError, TrustStore } from '../security/index.js';

export class CrlWatch {
  private stamp = '';
  private readonly trust: TrustStore;

  constructor(
    private readonly file: string | undefined,
    caPem: string,
    /** Told each CRL read, so new TLS handshakes use it too. */
    private readonly onChange: (pem: string) => void,
    private readonly warn: (msg: string, err?: unknown) => void,
  ) {
    this.trust = new TrustStore({ caPem, maxCertificateSize: 1 << 20 });
  }

  /** Re-reads the CRL when the file changed; a missing file or one that does not verify leaves the last CRL in force. */
  refresh(): void {
    if (!this.file) return;
    let now: string;
    try {
      const st = statSync(this.file);
      now = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return;
    }
    if (now === this.stamp) return;
    this.stamp = now;
    try {
      const pem = readFileSync(this.file, 'utf8');
      this.trust.loadCrl(pem);
      this.onChange(pem);
    } catch (err) {
      this.warn(`the CRL ${this.file} cannot be used; the last one read stays in force`, err);
    }
  }

  /** false when the current CRL revokes the certificate (PEM); the TLS handshake has checked the rest. */
  allows(certificatePem: string): boolean {
    this.refresh();
    try {
      this.trust.verify(certificatePem);
      return true;
    } catch (err) {
      return !(err instanceof SecurityError && err.code === 'revoked_certificate');
    }
  }
}
