// The CA as an HTTPS service on its own host, with Puppet CA's URL layout (`/puppet-ca/v1/...`), so that
// nodes and workstations enroll and fetch the CRL over the network while signing stays with the operator.
// The collective never depends on it being up: nodes keep their last CRL when it is not reachable.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { CertificateAuthority } from '../ca/authority.js';
import { CAError, checkCertname } from '../ca/errors.js';
import { ensureDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_FILE, writeFileAtomic } from '../ca/files.js';
import { generateKeyPair, privateKeyToPem } from '../pki/keys.js';
import { silentLog, type SecurityLog } from '../log.js';

export const CA_API = '/puppet-ca/v1';

export interface CaServiceOptions {
  ca: CertificateAuthority;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Names (DNS or IP) the service certificate is valid for; clients verify one of them. */
  hostnames: readonly string[];
  log?: SecurityLog;
  limits?: CaServiceLimits;
}

/** Requests per minute from one IP address: all routes, and certificate requests (PUT). */
export interface CaServiceLimits {
  requestsPerMinute: number;
  submissionsPerMinute: number;
}

const DEFAULT_LIMITS: CaServiceLimits = { requestsPerMinute: 600, submissionsPerMinute: 30 };

export interface RunningCaService {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HTTP_STATUS: Record<CAError['code'], number> = {
  no_ca: 500,
  ca_exists: 409,
  bad_name: 400,
  bad_request: 400,
  no_request: 404,
  request_exists: 409,
  already_signed: 409,
  not_signed: 404,
  already_revoked: 409,
  revoked: 409,
  weak_key: 400,
  weak_signature: 400,
  too_many_requests: 503,
  rate_limited: 429,
  locked: 503,
};

/** The service's TLS key and certificate, issued by the CA for `hostnames`; reissued when the names change or it nears expiry. */
export function serviceCertificate(ca: CertificateAuthority, hostnames: readonly string[]): { key: string; cert: string } {
  const dir = join(ca.dir, 'service');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  if (existsSync(keyFile) && existsSync(certFile)) {
    const cert = readFileSync(certFile, 'utf8');
    const x = new X509Certificate(cert);
    const names = x.subjectAltName ?? '';
    const fresh = Date.parse(x.validTo) - Date.now() > 30 * 86_400_000;
    if (fresh && hostnames.every((h) => names.includes(`:${h}`)) && x.checkIssued(new X509Certificate(ca.certificatePem))) {
      return { key: readFileSync(keyFile, 'utf8'), cert };
    }
  }
  ensureDir(dir, PRIVATE_DIR);
  const pair = generateKeyPair('rsa');
  const cert = ca.issueUnlisted(hostnames[0]!, pair.publicKey, { profile: 'server', altNames: hostnames });
  const key = privateKeyToPem(pair.privateKey);
  writeFileAtomic(keyFile, key, PRIVATE_FILE);
  writeFileAtomic(certFile, cert, PUBLIC_FILE);
  return { key, cert };
}

export function buildCaService(
  ca: CertificateAuthority,
  tls: { key: string; cert: string },
  log: SecurityLog = silentLog,
  limits: CaServiceLimits = DEFAULT_LIMITS,
): FastifyInstance {
  // Names longer than fastify's default 100 would get 414 before the name rule speaks; the rule caps them at 200.
  const app = Fastify({ https: tls, bodyLimit: 16 * 1024, logger: false, maxParamLength: 1024 });
  const pem = 'text/plain; charset=utf-8';

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof CAError) return reply.code(HTTP_STATUS[err.code]).send({ code: err.code, message: err.message });
    const { statusCode, message } = err as { statusCode?: number; message?: string };
    const status = statusCode ?? 500;
    if (status >= 500) log.error({ err: message }, 'CA service error');
    return reply.code(status).send({ code: 'error', message: status >= 500 ? 'internal error' : message });
  });

  app.register(rateLimit, {
    max: limits.requestsPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (req, ctx) => {
      log.warn({ ip: req.ip, limit: ctx.max }, 'CA service rate limit reached');
      return new CAError('rate_limited', `too many requests from ${req.ip} (limit ${ctx.max} per minute); retry in ${ctx.after}`);
    },
  });

  // Every route but the CA's own certificate and CRL names a certificate: one name rule, before anything else.
  app.addHook('onRequest', async (req) => {
    const { name } = (req.params ?? {}) as { name?: string };
    if (name === undefined) return;
    if (name === 'ca' && req.method === 'GET' && req.routeOptions.url === `${CA_API}/certificate/:name`) return;
    checkCertname(name);
  });

  const notFound = (what: string) => new CAError('no_request', `${what} not found`);

  // Reads take no lock: every file is replaced atomically, so a read sees the old or the new version.
  app.register(async (routes) => {
    routes.get<{ Params: { name: string } }>(`${CA_API}/certificate/:name`, async (req, reply) => {
      const { name } = req.params;
      const cert = name === 'ca' ? ca.certificatePem : ca.certificate(name);
      if (cert === undefined) throw notFound(`certificate ${name}`);
      return reply.type(pem).send(cert);
    });

    routes.get<{ Params: { name: string } }>(`${CA_API}/certificate_request/:name`, async (req, reply) => {
      const csr = ca.request(req.params.name);
      if (csr === undefined) throw notFound(`certificate request ${req.params.name}`);
      return reply.type(pem).send(csr);
    });

    routes.put<{ Params: { name: string }; Body: string }>(
      `${CA_API}/certificate_request/:name`,
      { config: { rateLimit: { max: limits.submissionsPerMinute, timeWindow: 60_000 } } },
      async (req) => {
        if (typeof req.body !== 'string') throw new CAError('bad_request', 'send the PEM request as text/plain');
        const { name } = req.params;
        // Waits for the CA lock without blocking the event loop: reads go on being answered meanwhile.
        const result = await ca.submitAsync(req.body, name, () => log.info({ certname: name }, 'waiting for the CA directory lock'));
        log.info({ certname: name, ip: req.ip, state: result.state }, 'certificate request submitted');
        return result;
      },
    );

    routes.get<{ Params: { name: string } }>(`${CA_API}/certificate_status/:name`, async (req) => {
      const status = ca.status(req.params.name);
      if (!status) throw notFound(`certificate ${req.params.name}`);
      return status;
    });

    routes.get(`${CA_API}/certificate_revocation_list/ca`, async (_req, reply) => reply.type(pem).send(ca.crlPem()));
  });

  return app;
}

export async function startCaService(opts: CaServiceOptions): Promise<RunningCaService> {
  const tls = serviceCertificate(opts.ca, opts.hostnames);
  const app = buildCaService(opts.ca, tls, opts.log, opts.limits);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `https://${opts.hostnames[0]}:${port}`, port, close: () => app.close() };
}
