// The CA as an HTTPS service on its own host, with Puppet CA's URL layout (`/puppet-ca/v1/...`), so that
// nodes and workstations enroll and fetch the CRL over the network while signing stays with the operator.
// The collective never depends on it being up: nodes keep their last CRL when it is not reachable.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CertificateAuthority } from '../ca/authority.js';
import { CAError } from '../ca/errors.js';
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
}

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

export function buildCaService(ca: CertificateAuthority, tls: { key: string; cert: string }, log: SecurityLog = silentLog): FastifyInstance {
  const app = Fastify({ https: tls, bodyLimit: 16 * 1024, logger: false });
  const pem = 'text/plain; charset=utf-8';

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof CAError) return reply.code(HTTP_STATUS[err.code]).send({ code: err.code, message: err.message });
    const { statusCode, message } = err as { statusCode?: number; message?: string };
    const status = statusCode ?? 500;
    if (status >= 500) log.error({ err: message }, 'CA service error');
    return reply.code(status).send({ code: 'error', message: status >= 500 ? 'internal error' : message });
  });

  const notFound = (what: string) => new CAError('no_request', `${what} not found`);

  app.get<{ Params: { name: string } }>(`${CA_API}/certificate/:name`, async (req, reply) => {
    const { name } = req.params;
    const cert = name === 'ca' ? ca.certificatePem : ca.certificate(name);
    if (cert === undefined) throw notFound(`certificate ${name}`);
    return reply.type(pem).send(cert);
  });

  app.get<{ Params: { name: string } }>(`${CA_API}/certificate_request/:name`, async (req, reply) => {
    const csr = ca.request(req.params.name);
    if (csr === undefined) throw notFound(`certificate request ${req.params.name}`);
    return reply.type(pem).send(csr);
  });

  app.put<{ Params: { name: string }; Body: string }>(`${CA_API}/certificate_request/:name`, async (req) => {
    if (typeof req.body !== 'string') throw new CAError('bad_request', 'send the PEM request as text/plain');
    const result = ca.submit(req.body, req.params.name);
    log.info({ certname: req.params.name, ip: req.ip, state: result.state }, 'certificate request submitted');
    return result;
  });

  app.get<{ Params: { name: string } }>(`${CA_API}/certificate_status/:name`, async (req) => {
    const status = ca.status(req.params.name);
    if (!status) throw notFound(`certificate ${req.params.name}`);
    return status;
  });

  app.get(`${CA_API}/certificate_revocation_list/ca`, async (_req, reply) => reply.type(pem).send(ca.crlPem()));

  return app;
}

export async function startCaService(opts: CaServiceOptions): Promise<RunningCaService> {
  const tls = serviceCertificate(opts.ca, opts.hostnames);
  const app = buildCaService(opts.ca, tls, opts.log);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `https://${opts.hostnames[0]}:${port}`, port, close: () => app.close() };
}
