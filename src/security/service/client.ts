// Talks to the CA service over HTTPS. Once the CA certificate is pinned, the service's TLS certificate
// must chain to it and carry the host name in the URL as a subjectAltName (never the common name alone,
// which any node's certificate has); before that (first contact) the caller checks the same against the
// CA it chose by fingerprint.
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { TroupeError, type ErrorCodeTable } from '../../errors.js';
import { CA_ERROR_CODES, type CAErrorCode } from '../ca/errors.js';
import { CA_API } from './server.js';

/** The client's own codes; a refusal the service explains carries the service's CAError code instead. */
export const CA_SERVICE_ERROR_CODES = {
  unreachable: 'the CA service cannot be reached',
  bad_service_certificate: "the CA service's TLS certificate is not issued by the CA, or not for the host in the URL",
  bad_ca: 'the CA service sent no CA certificate, several without a fingerprint to choose, or one that is not a CA',
  ca_fingerprint_mismatch: 'no CA certificate the service sent has the fingerprint given',
  ca_not_trusted: 'first contact: the CA is shown, not trusted, until --ca-fingerprint or --trust-ca says so',
  no_crl: 'the CA service has no CRL',
  http_error: 'the CA service answered with an HTTP error it did not explain with a known code',
  error: 'the CA service failed on its side (internal error) or refused the request as malformed',
} as const satisfies ErrorCodeTable;
export type CaServiceErrorCode = keyof typeof CA_SERVICE_ERROR_CODES | CAErrorCode;

function isCaServiceErrorCode(code: unknown): code is CaServiceErrorCode {
  return typeof code === 'string' && (Object.hasOwn(CA_SERVICE_ERROR_CODES, code) || Object.hasOwn(CA_ERROR_CODES, code));
}

export class CaServiceError extends TroupeError {
  override readonly name = 'CaServiceError';
  declare readonly code: CaServiceErrorCode;
  constructor(
    code: CaServiceErrorCode,
    message: string,
    readonly status?: number,
    hint?: string,
  ) {
    super(code, message, { hint });
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
          headers:
            body === undefined
              ? { accept: 'text/plain, application/json' }
              : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) },
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
  let code: CaServiceErrorCode = 'http_error';
  let message = `CA service answered ${res.status}`;
  try {
    const parsed = JSON.parse(res.body) as { code?: unknown; message?: string };
    // Codes come from the wire: only documented ones are passed on, so scripts can rely on them.
    if (isCaServiceErrorCode(parsed.code)) code = parsed.code;
    message = parsed.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new CaServiceError(code, message, res.status);
}
