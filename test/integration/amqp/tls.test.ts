// amqps:// with the generic tls_ca / tls_cert / tls_key keys: a private RabbitMQ node that requires client
// certificates, a simulated fleet and mco connecting through it, and the failures when either side cannot prove itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMco, scratchDir, type RunningSim } from '../../helpers/mco.js';
import { startAmqpSim, startRabbitMQ, writeAmqpConfig, type LocalRabbitMQ } from '../../helpers/rabbitmq.js';

const NODES = 4;

let rabbit: LocalRabbitMQ | undefined;
let sim: RunningSim | undefined;
let scratch: ReturnType<typeof scratchDir>;
let url: string;
let pki: ReturnType<typeof makePki>;

/** A CA, and a server and a client certificate it signed, made with the openssl command line. */
function makePki(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const path = (name: string) => join(dir, name);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=troupe test CA',
  );
  const issue = (name: string, cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    execFileSync('sh', ['-c', `printf '%s\\n' "${ext}" > ${name}.ext`], { cwd: dir });
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  issue('client', 'troupe-client', 'extendedKeyUsage=clientAuth');
  issue('cn-only', 'localhost', 'extendedKeyUsage=serverAuth');
  return {
    ca: path('ca.pem'),
    serverCert: path('server.pem'),
    serverKey: path('server.key'),
    clientCert: path('client.pem'),
    clientKey: path('client.key'),
    cnOnlyCert: path('cn-only.pem'),
    cnOnlyKey: path('cn-only.key'),
  };
}

beforeAll(async () => {
  scratch = scratchDir('troupe-amqp-tls-');
  pki = makePki(scratch.dir);
  rabbit = await startRabbitMQ({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey } });
  url = `amqps://guest:guest@127.0.0.1:${rabbit.tlsPort}`;
  sim = await startAmqpSim(scratch, url, ['--nodes', String(NODES)], { tls_ca: pki.ca, tls_cert: pki.clientCert, tls_key: pki.clientKey });
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await rabbit?.destroy();
  scratch?.cleanup();
}, 120_000);

describe('RabbitMQ over TLS', () => {
  it('daemons and mco talk through amqps:// with the CA, certificate and key from the config', async () => {
    const client = writeAmqpConfig(scratch.dir, 'client.cfg', url, { tls_ca: pki.ca, tls_cert: pki.clientCert, tls_key: pki.clientKey });
    const r = await runMco(['ping', '--expect', String(NODES), '--json', '--config', client]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { stats: { count: number } }).stats.count).toBe(NODES);
  });

  it('a client that does not trust the broker CA refuses the connection', async () => {
    const client = writeAmqpConfig(scratch.dir, 'no-ca.cfg', url, {
      tls_cert: pki.clientCert,
      tls_key: pki.clientKey,
      'plugin.amqp.connect_timeout': 3,
    });
    const r = await runMco(['ping', '--config', client]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot connect to RabbitMQ: .*(self[- ]signed|unable to verify|certificate)/i);
  });

  it('tls_server_name sets the name the broker certificate must carry', async () => {
    const keys = { tls_ca: pki.ca, tls_cert: pki.clientCert, tls_key: pki.clientKey, 'plugin.amqp.connect_timeout': 3 };
    const right = writeAmqpConfig(scratch.dir, 'name-ok.cfg', url, { ...keys, tls_server_name: 'localhost' });
    const wrong = writeAmqpConfig(scratch.dir, 'name-bad.cfg', url, { ...keys, tls_server_name: 'rabbit.example.org' });
    const [ok, bad] = await Promise.all([
      runMco(['ping', '--expect', String(NODES), '--config', right]),
      runMco(['ping', '--config', wrong]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/rabbit\.example\.org/);
  });

  it("a broker named only in its certificate's common name is refused", async () => {
    // A TLS listener that presents a certificate with CN=localhost and no subjectAltName, signed by the trusted CA.
    const impostor: Server = createServer({ cert: readFileSync(pki.cnOnlyCert), key: readFileSync(pki.cnOnlyKey) }, (socket) =>
      socket.destroy(),
    );
    impostor.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const port = (impostor.address() as { port: number }).port;
      const client = writeAmqpConfig(scratch.dir, 'cn-only.cfg', `amqps://guest:guest@localhost:${port}`, {
        tls_ca: pki.ca,
        tls_cert: pki.clientCert,
        tls_key: pki.clientKey,
        'plugin.amqp.connect_timeout': 3,
      });
      const r = await runMco(['ping', '--config', client]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /cannot connect to RabbitMQ: .*not valid for the host name localhost \(it has no subjectAltName; a common name does not count\)/,
      );
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('the broker refuses a client without a certificate', async () => {
    const client = writeAmqpConfig(scratch.dir, 'no-cert.cfg', url, { tls_ca: pki.ca, 'plugin.amqp.connect_timeout': 3 });
    const r = await runMco(['ping', '--config', client]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot connect to RabbitMQ');
  });
});
