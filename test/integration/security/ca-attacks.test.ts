// Attacks on the CA, enrollment and certificate profiles, against a real `mco ca serve`, real `mco enroll`
// and `mco ca` commands, a real node daemon and nats-server on loopback. Each must fail:
//  - a CA service that hands out a second CA, or a node certificate posing as the CA service;
//  - names that would act as operators signed without the operator asking (autosign, sign --all), node
//    certificates sending requests, a revoked name signed again;
//  - weak keys and SHA-1, EC requests that break signing, floods of requests, names the routes cannot carry,
//    and reads stalled behind the signing lock.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configText } from '../../../src/devkit/pki.js';
import { emptyFilter } from '../../../src/filter/index.js';
import { CertificateAuthority } from '../../../src/security/ca/authority.js';
import { generateKeyPair, privateKeyToPem } from '../../../src/security/pki/keys.js';
import { pemBlocks } from '../../../src/security/pki/pem.js';
import { buildCsr } from '../../../src/security/pki/x509.js';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type DaemonStatsJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { httpsCall, startCaProcess, startLookalike, type CaServiceProcess } from './ca-process.js';
import { credentialsFrom, envelope, Injector, sha1ClientCertificate, sign, type Credentials } from './craft.js';
import { startDaemon, stopDaemon } from './daemon.js';

const NODE = 'node1.example.net';
const API = '/puppet-ca/v1';
let scratch: ReturnType<typeof scratchDir>;
let caDir: string;
let caUrl: string;
let caFingerprint: string;
let service: CaServiceProcess;
let nats: LocalNatsServer;
let daemon: ChildProcess | undefined;
let injector: Injector;
let ops: Credentials;
let opsCfg: string;
let rogueOps: Credentials;
const closers: Array<() => Promise<void>> = [];

const fpOf = (pem: string) => new X509Certificate(pem).fingerprint256;
const sslOf = (who: string) => join(scratch.dir, `${who}-ssl`);
/** A config for `who` enrolling into its own ssldir; nodes fetch the CRL from the real service. */
function configFor(who: string): string {
  return scratch.file(
    `${who}.cfg`,
    configText({
      identity: who,
      middleware_hosts: nats.url,
      logfile: join(scratch.dir, `${who}.log`),
      securityprovider: 'pki',
      'plugin.security.ssldir': sslOf(who),
      'plugin.security.certname': who,
      'plugin.security.ca_url': caUrl,
    }),
  );
}
const enroll = (who: string, ...args: string[]) =>
  runMco(['enroll', '-c', configFor(who), '--poll', '0.2', ...args], { timeoutMs: 30_000 });
const ca = (...args: string[]) => runMco(['ca', ...args, '--dir', caDir]);
const csrFor = (name: string) => buildCsr(name, generateKeyPair('ed25519').privateKey);
const put = (base: string, name: string, csr: string) => httpsCall(`${base}${API}/certificate_request/${name}`, 'PUT', csr);
const rejected = async (node = NODE): Promise<Record<string, number>> => {
  const r = await runMco(['rpc', 'rpcutil', 'daemon_stats', '-I', node, '-c', opsCfg, '--json']);
  return parseAs<DaemonStatsJson>(r.stdout).replies[0]!.data.rejected;
};
/** A signed rpcutil ping to one node, straight onto the broker; resolves to the replies. */
const ping = (creds: Credentials, name: string, node = NODE) =>
  injector.send(sign(JSON.stringify(envelope(`cert=${name}`, { filter: { ...emptyFilter(), identity: [node] } })), creds));

beforeAll(async () => {
  scratch = scratchDir('troupe-ca-attacks-');
  caDir = join(scratch.dir, 'ca');
  const init = await runMco(['ca', 'init', '--dir', caDir]);
  caFingerprint = /fingerprint \(SHA256\): (\S+)/.exec(init.stdout)![1]!;
  const port = await freePort();
  caUrl = `https://127.0.0.1:${port}`;
  service = await startCaProcess(caDir, port);
  nats = await startNatsServer();

  // The legitimate operator, issued on the CA host.
  const out = join(scratch.dir, 'ops-ssl');
  expect((await ca('generate', 'ops.troupe', '--key-type', 'ed25519', '--out', out)).code).toBe(0);
  ops = credentialsFrom(join(out, 'certs', 'ops.troupe.pem'), join(out, 'private_keys', 'ops.troupe.pem'));
  opsCfg = scratch.file(
    'ops.cfg',
    configText({
      middleware_hosts: nats.url,
      discovery_timeout: 1,
      securityprovider: 'pki',
      'plugin.security.ssldir': out,
      'plugin.security.certname': 'ops.troupe',
    }),
  );
  // An attacker's CA, with an operator certificate of the same name.
  const rogue = CertificateAuthority.init(join(scratch.dir, 'rogue-ca'), { commonName: 'Troupe CA' });
  const issued = rogue.generate('ops.troupe', { keyType: 'ed25519', profile: 'client' });
  rogueOps = { cert: issued.certificatePem, key: issued.keyPem };
  injector = new Injector(nats.url);
  await injector.connect();
  // The node under attack, with a certificate issued on the CA host.
  expect((await ca('generate', NODE, '--key-type', 'ed25519', '--out', sslOf(NODE))).code).toBe(0);
  daemon = await startDaemon(configFor(NODE), join(scratch.dir, `${NODE}.log`));
}, 60_000);

afterAll(async () => {
  await injector?.close();
  if (daemon) await stopDaemon(daemon);
  for (const close of closers) await close();
  await service?.stop();
  await nats?.stop();
  scratch?.cleanup();
});

describe('enrollment trusts exactly one CA, and only the real CA service', () => {
  it('on first contact without a fingerprint, prints it and refuses until told to trust it', async () => {
    const first = await enroll('probe.example.net', '--wait', '0');
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(`CA certificate fingerprint (SHA256): ${caFingerprint}`);
    expect(first.stderr).toMatch(/--ca-fingerprint/);
    expect(existsSync(join(sslOf('probe.example.net'), 'certs', 'ca.pem'))).toBe(false);
    expect((await ca('list', '--json')).stdout).not.toContain('probe.example.net');

    const trusted = await enroll('probe.example.net', '--wait', '0', '--trust-ca');
    expect(trusted.code, trusted.stderr).toBe(2);
    expect(fpOf(readFileSync(join(sslOf('probe.example.net'), 'certs', 'ca.pem'), 'utf8'))).toBe(caFingerprint);
  });

  it("a service that adds a second CA to its reply: only the CA with the fingerprint is saved, the rogue CA's operator is refused", async () => {
    writeFileSync(join(caDir, 'autosign.conf'), '*.example.net\n');
    const serviceTls = {
      key: readFileSync(join(caDir, 'service', 'key.pem'), 'utf8'),
      cert: readFileSync(join(caDir, 'service', 'cert.pem'), 'utf8'),
    };
    const bundle = readFileSync(join(caDir, 'ca_crt.pem'), 'utf8') + readFileSync(join(scratch.dir, 'rogue-ca', 'ca_crt.pem'), 'utf8');
    const lookalike = await startLookalike(serviceTls, bundle, caUrl);
    closers.push(() => lookalike.close());

    const node = 'node2.example.net';
    const r = await enroll(node, '--wait', '10', '--ca-url', `https://127.0.0.1:${lookalike.port}`, '--ca-fingerprint', caFingerprint);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const saved = readFileSync(join(sslOf(node), 'certs', 'ca.pem'), 'utf8');
    expect(pemBlocks(saved, 'CERTIFICATE')).toHaveLength(1);
    expect(fpOf(saved)).toBe(caFingerprint);

    const enrolled = await startDaemon(configFor(node), join(scratch.dir, `${node}.log`));
    try {
      expect(await ping(ops, 'ops.troupe', node)).toHaveLength(1);
      expect(await ping(rogueOps, 'ops.troupe', node)).toEqual([]);
      expect((await rejected(node)).untrusted_certificate).toBe(1);
    } finally {
      await stopDaemon(enrolled);
    }
  });

  it("a node certificate cannot pose as the CA service: the host must be in the service certificate's subjectAltName", async () => {
    // Any node may hold a certificate named `localhost` (no subjectAltName, so only its common name says so).
    const out = join(scratch.dir, 'localhost-ssl');
    expect((await ca('generate', 'localhost', '--out', out)).code).toBe(0);
    const tls = {
      key: readFileSync(join(out, 'private_keys', 'localhost.pem'), 'utf8'),
      cert: readFileSync(join(out, 'certs', 'localhost.pem'), 'utf8'),
    };
    const impostor = await startLookalike(tls, readFileSync(join(caDir, 'ca_crt.pem'), 'utf8'), caUrl);
    closers.push(() => impostor.close());

    // The CA already pinned: Node's TLS check alone would accept the common name `localhost` for https://localhost.
    mkdirSync(join(sslOf('imp2.example.net'), 'certs'), { recursive: true });
    copyFileSync(join(caDir, 'ca_crt.pem'), join(sslOf('imp2.example.net'), 'certs', 'ca.pem'));
    const pinned = await enroll('imp2.example.net', '--wait', '0', '--ca-url', `https://localhost:${impostor.port}`);
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toContain('is not issued for localhost');
    expect(existsSync(join(sslOf('imp2.example.net'), 'certs', 'imp2.example.net.pem'))).toBe(false);

    // First contact, with the right CA fingerprint: the impostor is refused before the CA is pinned.
    const first = await enroll(
      'imp1.example.net',
      '--wait',
      '0',
      '--ca-url',
      `https://127.0.0.1:${impostor.port}`,
      '--ca-fingerprint',
      caFingerprint,
    );
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('is not issued for 127.0.0.1');
    expect(existsSync(join(sslOf('imp1.example.net'), 'certs', 'ca.pem'))).toBe(false);
  });
});

describe('operator certificates come only from the operator', () => {
  it("autosign follows Puppet's globs and never signs a name that would act as an operator", async () => {
    writeFileSync(join(caDir, 'autosign.conf'), 'web-*\n*.mcollective\n*.example.net\n');
    const r = await enroll('web-1.mcollective', '--wait', '0', '--ca-fingerprint', caFingerprint);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(existsSync(join(sslOf('web-1.mcollective'), 'certs', 'web-1.mcollective.pem'))).toBe(false);
    expect(service.log()).toMatch(/web-1\.mcollective is an operator name; it is never autosigned/);
  });

  it('sign --all leaves an anonymously submitted operator name pending; an explicit sign makes it an operator', async () => {
    expect((await put(caUrl, 'admin.mcollective', csrFor('admin.mcollective'))).status).toBe(200);
    const key = generateKeyPair('ed25519').privateKey;
    expect((await put(caUrl, 'admin2.mcollective', buildCsr('admin2.mcollective', key))).status).toBe(200);
    const all = await ca('sign', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('Not signed admin.mcollective: an operator name');
    expect(all.stdout).toContain('Not signed web-1.mcollective: an operator name');
    expect(all.stdout).not.toMatch(/^Signed admin/m);
    expect((await httpsCall(`${caUrl}${API}/certificate/admin.mcollective`)).status).toBe(404);

    const explicit = await ca('sign', 'admin2.mcollective');
    expect(explicit.stdout).toContain('Signed admin2.mcollective as an operator');
    const cert = (await httpsCall(`${caUrl}${API}/certificate/admin2.mcollective`)).body;
    expect(await ping({ cert, key: privateKeyToPem(key) }, 'admin2.mcollective')).toHaveLength(1);
  });

  it('a node certificate whose name matches the client pattern cannot send requests', async () => {
    // As the CA issued nodes before operator certificates were marked (or autosigned `web-*`).
    const pair = generateKeyPair('ed25519');
    const cert = CertificateAuthority.open(caDir).issueUnlisted('web-2.troupe', pair.publicKey, { profile: 'node' });
    const before = (await rejected()).not_a_client ?? 0;
    expect(await ping({ cert, key: privateKeyToPem(pair.privateKey) }, 'web-2.troupe')).toEqual([]);
    expect((await rejected()).not_a_client).toBe(before + 1);
  });

  it('a revoked, autosigned name is not signed again until the operator cleans it', async () => {
    const name = 'node7.example.net';
    expect((await enroll(name, '--wait', '5', '--ca-fingerprint', caFingerprint)).code).toBe(0);
    expect((await ca('revoke', name)).code).toBe(0);
    // The attacker comes back with a new key.
    const again = () => enroll(`${name}`, '--wait', '0');
    execFileSync('rm', ['-rf', join(sslOf(name), 'private_keys'), join(sslOf(name), 'certs', `${name}.pem`)]);
    const refused = await again();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`mco ca clean ${name}`);
    expect((await ca('list', '--all', '--json')).stdout).toMatch(
      new RegExp(`"name": "${name.replace(/\./g, '\\.')}",\\s*"state": "revoked"`),
    );

    const clean = await ca('clean', name);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`Removed the certificate of ${name}`);
    expect((await again()).code).toBe(0);
  });
});

describe('the CA service refuses weak input and keeps answering', () => {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: scratch.dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  /** A key made by `openssl <keyArgs>` (KEY stands for its file), and a request for `name` signed with it. */
  const opensslCsr = (name: string, keyArgs: string[], reqArgs: string[] = []) => {
    openssl(...keyArgs.map((a) => (a === 'KEY' ? `${name}.key` : a)));
    return openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, ...reqArgs);
  };

  it.each([
    ['an RSA-512 key', 'rsa512.example.net', ['genrsa', '-out', 'KEY', '512'], [], 'weak_key'],
    ['a SHA-1 signature', 'sha1.example.net', ['genrsa', '-out', 'KEY', '2048'], ['-sha1'], 'weak_signature'],
    ['an EC key on secp256k1', 'k1.example.net', ['ecparam', '-name', 'secp256k1', '-genkey', '-noout', '-out', 'KEY'], [], 'weak_key'],
  ])('refuses a request with %s (400, %s), and stores nothing', async (_what, name, keyArgs, reqArgs, code) => {
    const res = await put(caUrl, name, opensslCsr(name, keyArgs, reqArgs));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code });
    expect((await httpsCall(`${caUrl}${API}/certificate_request/${name}`)).status).toBe(404);
  });

  it('signs EC P-256 requests: autosigned here, served, and trusted', async () => {
    const res = await put(
      caUrl,
      'ec1.example.net',
      opensslCsr('ec1.example.net', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'KEY']),
    );
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ state: 'signed' });
    const cert = new X509Certificate((await httpsCall(`${caUrl}${API}/certificate/ec1.example.net`)).body);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.verify(new X509Certificate(readFileSync(join(caDir, 'ca_crt.pem'))).publicKey)).toBe(true);
  });

  it('a certificate of the CA signed with SHA-1 does not authenticate', async () => {
    const legacy = sha1ClientCertificate(
      readFileSync(join(caDir, 'ca_crt.pem'), 'utf8'),
      readFileSync(join(caDir, 'ca_key.pem'), 'utf8'),
      'legacy.troupe',
    );
    expect(await ping(legacy, 'legacy.troupe')).toEqual([]);
    expect((await rejected()).weak_certificate).toBe(1);
  });

  it('names longer than the limit get 400 bad_name on every route, never 414; a 200-character name is served', async () => {
    const long = 'a'.repeat(230);
    for (const res of [
      await httpsCall(`${caUrl}${API}/certificate/${long}`),
      await put(caUrl, long, csrFor(long)),
      await httpsCall(`${caUrl}${API}/certificate_status/${long}`),
    ]) {
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'bad_name' });
    }
    const max = 'b'.repeat(188) + '.example.net';
    expect(max).toHaveLength(200);
    const ok = await put(caUrl, max, csrFor(max));
    expect(ok.status, ok.body).toBe(200);
    expect((await httpsCall(`${caUrl}${API}/certificate/${max}`)).status).toBe(200);
  });

  it('answers reads, CRL downloads included, while a command holds the CA lock', async () => {
    const lock = join(caDir, '.lock');
    mkdirSync(lock); // what `mco ca sign` holds while it signs
    let settled = false;
    const logFrom = service.log().length;
    const submission = put(caUrl, 'waits.example.net', csrFor('waits.example.net')).finally(() => (settled = true));
    try {
      await service.waitForLog('waiting for the CA directory lock', logFrom);
      const crl = await httpsCall(`${caUrl}${API}/certificate_revocation_list/ca`);
      expect(crl.status).toBe(200);
      expect(crl.body).toContain('BEGIN X509 CRL');
      expect((await httpsCall(`${caUrl}${API}/certificate/ca`)).status).toBe(200);
      expect(settled).toBe(false);
    } finally {
      rmdirSync(lock);
    }
    expect((await submission).status).toBe(200);
  });
});

describe('the CA service limits what anonymous callers can store', () => {
  let other: CaServiceProcess;
  let otherUrl: string;
  let otherDir: string;

  beforeAll(async () => {
    otherDir = join(scratch.dir, 'ca-limits');
    await runMco(['ca', 'init', '--dir', otherDir]);
    const port = await freePort();
    otherUrl = `https://127.0.0.1:${port}`;
    other = await startCaProcess(otherDir, port);
  }, 30_000);
  afterAll(() => other?.stop());

  it('rate-limits certificate requests per address (30 a minute by default)', async () => {
    const statuses: number[] = [];
    const codes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await put(otherUrl, `flood${i}.example.net`, csrFor(`flood${i}.example.net`));
      statuses.push(res.status);
      if (res.status !== 200) codes.add(parseAs<{ code: string }>(res.body).code);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect([...codes]).toEqual(['rate_limited']);
    expect(readdirSync(join(otherDir, 'requests'))).toHaveLength(30);
    // Reads still answer.
    expect((await httpsCall(`${otherUrl}${API}/certificate_revocation_list/ca`)).status).toBe(200);
  });

  it('caps the pending requests (plugin.ca.max_pending)', async () => {
    await other.stop();
    const port = await freePort();
    const cfg = scratch.file('limits.cfg', configText({ 'plugin.ca.max_pending': 32 }));
    other = await startCaProcess(otherDir, port, ['-c', cfg]);
    const url = `https://127.0.0.1:${port}`;
    expect((await put(url, 'more1.example.net', csrFor('more1.example.net'))).status).toBe(200);
    expect((await put(url, 'more2.example.net', csrFor('more2.example.net'))).status).toBe(200);
    const full = await put(url, 'more3.example.net', csrFor('more3.example.net'));
    expect(full.status).toBe(503);
    expect(JSON.parse(full.body)).toMatchObject({
      code: 'too_many_requests',
      message: expect.stringContaining('32 pending requests') as string,
    });
    expect(readdirSync(join(otherDir, 'requests'))).toHaveLength(32);
  });
});
