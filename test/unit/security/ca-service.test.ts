// The CA service's HTTP surface: what it answers to good and bad requests (in process, no network).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CertificateAuthority } from '../../../src/security/ca/authority.js';
import { buildCaService, CA_API, serviceCertificate } from '../../../src/security/service/server.js';
import { generateKeyPair } from '../../../src/security/pki/keys.js';
import { buildCsr } from '../../../src/security/pki/x509.js';

let dir: string;
let ca: CertificateAuthority;
let app: FastifyInstance;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-ca-http-'));
  ca = CertificateAuthority.init(join(dir, 'ca'), { keyType: 'ed25519' });
  app = buildCaService(ca, serviceCertificate(ca, ['localhost', '127.0.0.1']));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const csr = (name: string) => buildCsr(name, generateKeyPair('ed25519').privateKey);
const put = (name: string, body: string) =>
  app.inject({ method: 'PUT', url: `${CA_API}/certificate_request/${name}`, headers: { 'content-type': 'text/plain' }, body });

describe('CA service', () => {
  it('hands out the CA certificate and the CRL', async () => {
    const cert = await app.inject({ url: `${CA_API}/certificate/ca` });
    expect(cert.statusCode).toBe(200);
    expect(cert.body).toBe(ca.certificatePem);
    expect((await app.inject({ url: `${CA_API}/certificate_revocation_list/ca` })).body).toContain('BEGIN X509 CRL');
  });

  it('takes a request, reports it pending, and serves the certificate once signed', async () => {
    const res = await put('web1.example.net', csr('web1.example.net'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'requested' });
    expect((await app.inject({ url: `${CA_API}/certificate/web1.example.net` })).statusCode).toBe(404);
    expect((await app.inject({ url: `${CA_API}/certificate_status/web1.example.net` })).json()).toMatchObject({ state: 'requested' });
    ca.sign('web1.example.net');
    const cert = await app.inject({ url: `${CA_API}/certificate/web1.example.net` });
    expect(cert.statusCode).toBe(200);
    expect(cert.body).toContain('BEGIN CERTIFICATE');
  });

  it.each([
    ['a name that differs from the request', 'other.example.net', () => csr('web2.example.net'), 400, 'bad_request'],
    ['garbage', 'web3.example.net', () => 'hello', 400, 'bad_request'],
    ['a bad name', 'UPPER', () => csr('UPPER'), 400, 'bad_name'],
    ['a name already signed', 'web1.example.net', () => csr('web1.example.net'), 409, 'already_signed'],
    ['an oversized body', 'web4.example.net', () => 'x'.repeat(64 * 1024), 413, 'error'],
  ])('refuses %s with a clear error', async (_what, name, body, status, code) => {
    const res = await put(name, body());
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code });
    expect(res.json<{ message?: string }>().message).toBeTruthy();
  });
});
