// The web console as deployed: HTTPS with a certificate of the troupe CA, login by a browser's client certificate,
// and a broker configured by `mco broker config` on which the console's certificate (plugin.broker.web_consoles)
// may send requests, watch the registry and keep its job history, with no permission refused.
import { request, Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';
import { startTroupeBroker, type TroupeBroker } from '../../../src/devkit/broker.js';
import { generateFleet } from '../../../src/server/fleet.js';
import { loadConfig } from '../../../src/config/index.js';
import { startWebServer, type WebServer } from '../../../src/web/server.js';
import { hashPassword, saveUsers } from '../../../src/web/users.js';
import { scratchDir, startSim, type RunningSim, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';

const COUNT = 8;
const WEB = 'web.troupe';
let pki: DevPki;
let broker: TroupeBroker;
let scratch: Scratch;
let sim: RunningSim | undefined;
let server: WebServer | undefined;
let clientCfg: string;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookies: string[];
}

/** One HTTPS call that trusts the troupe CA, optionally presenting a client certificate. */
function call(path: string, o: { as?: string; method?: string; cookie?: string; body?: unknown; csrf?: string } = {}): Promise<Answer> {
  const agent = new Agent({
    ca: readFileSync(pki.caPath),
    ...(o.as ? { cert: readFileSync(pki.certPath(o.as)), key: readFileSync(pki.keyPath(o.as)) } : {}),
  });
  const url = new URL(server!.url + path);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: o.method ?? 'GET',
        agent,
        headers: {
          ...(o.cookie ? { cookie: o.cookie } : {}),
          ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          agent.destroy();
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            cookies: res.headers['set-cookie'] ?? [],
          });
        });
      },
    );
    req.on('error', (err) => {
      agent.destroy();
      reject(err);
    });
    req.end(o.body !== undefined ? JSON.stringify(o.body) : undefined);
  });
}

const cookieOf = (a: Answer) => a.cookies.map((c) => c.split(';')[0]).join('; ');

beforeAll(async () => {
  const nodes = generateFleet(COUNT).nodes.map((n) => n.identity);
  pki = createDevPki({ nodes, clients: [WEB, 'alice.troupe', 'ops.troupe', 'lost.troupe', 'laptop.troupe'], broker: true });
  broker = await startTroupeBroker(pki, { webConsoles: [WEB] });
  scratch = scratchDir('troupe-web-tls-');
  const simCfg = scratch.config('sim.cfg', {
    middleware_hosts: broker.server.url,
    registration_splay: 0,
    'plugin.actionpolicy.allow_unconfigured': 1,
    ...pki.serverConfig(),
    ...pki.fleetTlsConfig(),
  });
  sim = await startSim(['--nodes', String(COUNT), '-c', simCfg]);
  clientCfg = scratch.config('web.cfg', {
    middleware_hosts: broker.server.url,
    discovery_timeout: 1,
    ...pki.clientConfig(WEB),
    ...pki.tlsConfig(WEB),
    // The broker's certificate is the one issued here for 127.0.0.1.
    'web.tls_cert': pki.certPath('broker'),
    'web.tls_key': pki.keyPath('broker'),
    'web.port': 0,
  });
  scratch.file('web-roles.yaml', 'roles:\n  admin:\n    actions: ["*"]\n');
  saveUsers(`${scratch.dir}/web-users.yaml`, {
    users: {
      alice: {
        hash: await hashPassword('alice-password'),
        roles: ['admin'],
        certificates: ['alice.troupe', 'lost.troupe', 'laptop.troupe'],
      },
    },
  });
  // A laptop's certificate reported lost: revoked in the CA, whose CRL the server reads.
  pki.revoke('lost.troupe');
  server = await startWebServer({ config: loadConfig(clientCfg), configFile: clientCfg });
  await waitFor('the registry in the node index', () => server!.index.size === COUNT, 30_000);
}, 90_000);

afterAll(async () => {
  await server?.close();
  await sim?.stop();
  await broker?.server.stop();
  pki?.cleanup();
  scratch?.cleanup();
});

describe('mco web over HTTPS with the troupe CA', () => {
  it('serves HTTPS by default, with a Secure session cookie', async () => {
    expect(server!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const csrf = await call('/api/csrf');
    expect(csrf.status).toBe(200);
    const login = await call('/api/login', {
      method: 'POST',
      cookie: cookieOf(csrf),
      csrf: csrf.body.token as string,
      body: { user: 'alice', password: 'alice-password' },
    });
    expect(login.status).toBe(200);
    expect(login.cookies.find((c) => c.startsWith('troupe_session='))).toMatch(/;\s*Secure/i);
  });

  it('logs a browser in by a client certificate the users file maps, and nobody else', async () => {
    const alice = await call('/api/session', { as: 'alice.troupe' });
    expect([alice.status, alice.body.user, alice.body.via]).toEqual([200, 'alice', 'certificate']);
    // The session it opened works without the certificate.
    expect((await call('/api/session', { cookie: cookieOf(alice) })).status).toBe(200);
    expect((await call('/api/session', { as: 'ops.troupe' })).status).toBe(401);
    expect((await call('/api/session', { as: 'lost.troupe' })).status).toBe(401);
    expect((await call('/api/session')).status).toBe(401);
  });

  it('re-reads the CRL when its file changes: a certificate revoked while the server runs logs in no more, and its sessions end', async () => {
    const before = await call('/api/session', { as: 'laptop.troupe' });
    expect([before.status, before.body.via]).toEqual([200, 'certificate']);
    const session = cookieOf(before);
    expect((await call('/api/session', { cookie: session })).status).toBe(200);
    // The laptop is reported lost: revoked in the CA, whose crl.pem the server's config names.
    pki.revoke('laptop.troupe');
    expect((await call('/api/session', { as: 'laptop.troupe' })).status).toBe(401);
    expect((await call('/api/session', { cookie: session })).status).toBe(401);
    expect((await call('/api/session', { cookie: session, as: 'laptop.troupe' })).status).toBe(401);
    // Certificates the CRL does not name still log in.
    expect((await call('/api/session', { as: 'alice.troupe' })).status).toBe(200);
  });

  it('refuses plain HTTP anywhere but loopback', async () => {
    await expect(
      startWebServer({ config: loadConfig(clientCfg), configFile: clientCfg, insecureHttp: true, listen: '0.0.0.0' }),
    ).rejects.toMatchObject({ code: 'WEB_CONFIG', message: expect.stringMatching(/loopback/) as unknown });
  });

  it('sends signed requests, watches the registry and keeps the history with the permissions the broker gives a web console', async () => {
    const alice = await call('/api/session', { as: 'alice.troupe' });
    const started = await call('/api/jobs', {
      method: 'POST',
      cookie: cookieOf(alice),
      csrf: alice.body.csrfToken as string,
      body: { agent: 'rpcutil', action: 'ping' },
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    const done = await waitFor('the job to end', async () => {
      const j = await call(`/api/jobs/${id}`, { cookie: cookieOf(alice) });
      return j.body.state !== 'running' && j.body;
    });
    expect(done).toMatchObject({ state: 'done', stats: { ok: COUNT, failed: 0, noReply: 0 } });
    const nodes = await call('/api/nodes?limit=1', { cookie: cookieOf(alice) });
    expect(nodes.body.total).toBe(COUNT);
    // The history is in the broker: a new server reads the job back.
    await server!.jobs.flushWrites();
    await server!.close();
    server = await startWebServer({ config: loadConfig(clientCfg), configFile: clientCfg });
    const again = await call('/api/session', { as: 'alice.troupe' });
    const stored = await call(`/api/jobs/${id}/replies`, { cookie: cookieOf(again) });
    expect([stored.status, stored.body.total]).toEqual([200, COUNT]);
    expect(broker.server.log).not.toMatch(/Permissions Violation/);
  });
});
