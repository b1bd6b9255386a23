// Talks to the CA service over HTTPS. Once the CA certificate is pinned, the service's TLS certificate
// must chain to it and carry the host name in the URL as a subjectAltName (never the common name alone,
// which any node's certificate has); before that (first contact) the caller checks the same against the
// CA it chose by fingerprint.
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { CA_API } from './server.js';

export class CaServiceError extends Error {
  override readonly name = 'CaServiceError';
  constructor(readonly code: string, message: string, readonly status?: number, readonly hint?: string) {
    super(message);
  }
}

/** The host of a URL as a certificate names it (IPv6 without brackets). */
export function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Undefined when `cert` names `host` in its subjectAltName (DNS name, or IP address for an IP host), else why not. */
export function serviceIdentityError(host: string, cert: X509Certificate): string | undefined {
  const named = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host, { subject: 'never' }) !== undefined;
  return named ? undefined : `the CA service's certificate (${cert.subject.replace(/\n/g, ', ')}) is not issued for ${host}`;
}

/** For TLS: the strict check above in place of Node's, which falls back to the common name. */
function checkServerIdentity(host: string, peer: PeerCertificate): Error | undefined {
  const reason = serviceIdentityError(host.replace(/^\[(.*)\]$/, '$1'), new X509Certificate(peer.raw));
  return reason === undefined ? undefined : new CaServiceError('bad_service_certificate', reason);
}

interface Response {
  status: number;
  body: string;
  peer?: X509Certificate;
}

export class CaClient {
  constructor(
    private readonly baseUrl: string,
    /** The pinned CA certificate; without it the server is not authenticated. */
    private readonly caPem?: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private call(method: 'GET' | 'PUT', path: string, body?: string): Promise<Response> {
    const url = new URL(CA_API + path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca: this.caPem,
          rejectUnauthorized: this.caPem !== undefined,
          checkServerIdentity,
          headers: body === undefined ? { accept: 'text/plain, application/json' } : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const peer = (res.socket as TLSSocket).getPeerX509Certificate?.();
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
            if (text.length > 1_000_000) req.destroy(new Error('response too large'));
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, peer }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new CaServiceError('unreachable', `cannot reach the CA service at ${url.origin}: ${err.message}`)));
      req.end(body);
    });
  }

  private async text(path: string): Promise<string | undefined> {
    const res = await this.call('GET', path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw failure(res);
    return res.body;
  }

  /** First contact: the CA certificate, and the certificate the service presented, neither verified yet. */
  async fetchCaUnverified(): Promise<{ caPem: string; presented?: X509Certificate }> {
    const res = await this.call('GET', '/certificate/ca');
    if (res.status !== 200) throw failure(res);
    return { caPem: res.body, presented: res.peer };
  }

  certificate(name: string): Promise<string | undefined> {
    return this.text(`/certificate/${encodeURIComponent(name)}`);
  }

  async crl(): Promise<string> {
    const crl = await this.text('/certificate_revocation_list/ca');
    if (crl === undefined) throw new CaServiceError('no_crl', 'the CA service has no CRL');
    return crl;
  }

  async submit(name: string, csrPem: string): Promise<{ state: string; fingerprint: string }> {
    const res = await this.call('PUT', `/certificate_request/${encodeURIComponent(name)}`, csrPem);
    if (res.status !== 200) throw failure(res);
    return JSON.parse(res.body) as { state: string; fingerprint: string };
  }
}

function failure(res: Response): CaServiceError {
  let code = 'http_error';
  let message = `CA service answered ${res.status}`;
  try {
    const parsed = JSON.parse(res.body) as { code?: string; message?: string };
    code = parsed.code ?? code;
    message = parsed.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new CaServiceError(code, message, res.status);
}
