// Brokers of several sites, configured by `mco broker config`'s code: two gateway sites of two brokers each (routes
// inside a site, gateways between them) and a leaf site that dials out. Real nats-servers on loopback prove that the
// links come up over TLS, that a node at the leaf site answers an operator at a gateway site, that only the CA's
// broker certificates get onto the route, gateway and leafnode ports, and that a revoked broker certificate is
// refused once the broker restarts (nats-server cannot reload gateway or leafnode pins).
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBrokerConfig, siteLayoutFrom, type BrokerSettings, type SiteInput } from '../../../src/broker/index.js';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { freePort, LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, stopDaemon } from './daemon.js';

const NODE = 'edge-node1.example.net';
const SITES = { ams: 2, lon: 2 } as const;

interface Broker {
  name: string;
  site: string;
  ports: { client: number; cluster: number; gateway: number; leaf: number; http: number };
  file: string;
  server: LocalNatsServer;
}

let pki: DevPki;
let scratch: ReturnType<typeof scratchDir>;
let daemon: ChildProcess | undefined;
const brokers: Broker[] = [];

async function monitor<T>(b: Broker, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${b.ports.http}${path}`);
  return (await res.json()) as T;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function settingsFor(b: Broker, input: SiteInput): BrokerSettings {
  return {
    caDir: pki.caDir,
    listen: `127.0.0.1:${b.ports.client}`,
    certFile: pki.certPath(b.name),
    keyFile: pki.keyPath(b.name),
    collectives: ['mcollective'],
    registryBucket: 'troupe_registry',
    operatorPattern: '\\.troupe$',
    pidFile: join(scratch.dir, `${b.name}.pid`),
    jetstreamDir: join(scratch.dir, `${b.name}-js`),
    maxPayload: 2097152,
    layout: siteLayoutFrom(input, b.name, true),
    monitor: `127.0.0.1:${b.ports.http}`,
  };
}

function layoutOf(b: Broker): SiteInput {
  const gw = brokers.filter((o) => o.site !== 'edge');
  if (b.site === 'edge')
    return { site: 'edge', leafRemotes: brokers.filter((o) => o.site === 'lon').map((o) => `tls://127.0.0.1:${o.ports.leaf}`) };
  return {
    site: b.site,
    clusterListen: `127.0.0.1:${b.ports.cluster}`,
    routes: brokers.filter((o) => o.site === b.site && o !== b).map((o) => `tls://127.0.0.1:${o.ports.cluster}`),
    gatewayListen: `127.0.0.1:${b.ports.gateway}`,
    gateways: Object.keys(SITES)
      .map(
        (s) =>
          `${s}=${gw
            .filter((o) => o.site === s)
            .map((o) => `tls://127.0.0.1:${o.ports.gateway}`)
            .join('|')}`,
      )
      .join(','),
    leafnodeListen: `127.0.0.1:${b.ports.leaf}`,
    leafSites: ['edge'],
  };
}

function write(b: Broker) {
  return applyBrokerConfig(b.file, settingsFor(b, layoutOf(b)));
}

/**
 * Dials `port` as a peer broker would with `cert`'s certificate: on the route and gateway ports TLS comes first; on
 * the leafnode port nats-server sends its INFO in the clear, then the handshake. Resolves with 'refused' when the
 * server closes the connection, 'open' if it is still open after the server has had time to judge it.
 */
async function dialAs(port: number, cert: { cert: string; key: string }, infoFirst = false): Promise<'refused' | 'open'> {
  const raw = netConnect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    if (!infoFirst) return raw.once('connect', () => resolve());
    let seen = '';
    raw.on('data', function onData(d: Buffer) {
      seen += d.toString();
      if (seen.includes('\r\n')) {
        raw.off('data', onData);
        resolve();
      }
    });
    raw.once('error', reject);
  });
  const secure = tlsConnect({
    socket: raw,
    ca: readFileSync(pki.caPath),
    cert: readFileSync(cert.cert),
    key: readFileSync(cert.key),
    servername: 'localhost',
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => (secure.destroy(), resolve('open')), 3000);
    const done = () => (clearTimeout(timer), resolve('refused'));
    secure.once('close', done);
    secure.once('error', done);
    secure.resume();
  });
}

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE], clients: ['ops.troupe'] });
  scratch = scratchDir('troupe-broker-sites-');
  const taken = new Set<number>();
  const port = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return (taken.add(p), p);
    }
  };
  const layout: Array<[string, string]> = [
    ...Object.entries(SITES).flatMap(([site, n]) => Array.from({ length: n }, (_, i): [string, string] => [site, `${site}${i + 1}`])),
    ['edge', 'edge1'],
  ];
  for (const [site, name] of layout) {
    pki.issue(name, { profile: 'broker', altNames: ['127.0.0.1', 'localhost'] });
    const ports = { client: await port(), cluster: await port(), gateway: await port(), leaf: await port(), http: await port() };
    const file = join(scratch.dir, `${name}.conf`);
    brokers.push({ name, site, ports, file, server: new LocalNatsServer({ port: ports.client, configFile: file }) });
  }
  pki.issue('spare-broker', { profile: 'broker', altNames: ['127.0.0.1', 'localhost'] }); // revoked below
  for (const b of brokers) write(b);
  await Promise.all(brokers.map((b) => b.server.start()));
}, 60_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await Promise.all(brokers.map((b) => b.server.stop()));
  pki?.cleanup();
  scratch?.cleanup();
});

const byName = (n: string) => brokers.find((b) => b.name === n)!;

describe('brokers of several sites from mco broker config', () => {
  it('form routes, gateways and the leafnode over TLS', async () => {
    for (const b of brokers.filter((o) => o.site !== 'edge')) {
      await until(`${b.name} routes`, async () => (await monitor<{ num_routes: number }>(b, '/routez')).num_routes === 1);
      await until(`${b.name} gateways`, async () => {
        const gw = await monitor<{ outbound_gateways?: Record<string, unknown> }>(b, '/gatewayz');
        return Object.keys(SITES).every((s) => s === b.site || gw.outbound_gateways?.[s]);
      });
    }
    await until('the leafnode', async () => {
      const leafz = await monitor<{ leafnodes: number; leafs: Array<{ account: string }> }>(byName('edge1'), '/leafz');
      return leafz.leafnodes === 1 && leafz.leafs[0]!.account === 'TROUPE';
    });
    const routez = await monitor<{ routes: Array<{ tls_version?: string }> }>(byName('ams1'), '/routez?subs=0');
    expect(routez.routes.length).toBe(1);
    expect(byName('ams1').server.log).not.toMatch(/TLS \w+ handshake error/);
  }, 60_000);

  it('carries a request from an operator at ams to a node at the leaf site, and its reply back', async () => {
    const edge = byName('edge1');
    const log = join(scratch.dir, 'node.log');
    const server = scratch.file(
      'server.cfg',
      configText({
        identity: NODE,
        middleware_hosts: edge.server.url,
        logfile: log,
        registerinterval: 300,
        registration_splay: 0,
        'plugin.actionpolicy.allow_unconfigured': 1,
        ...pki.serverConfig(),
        ...pki.tlsConfig(NODE),
      }),
    );
    daemon = await startDaemon(server, log);
    const ops = scratch.file(
      'ops.cfg',
      configText({
        middleware_hosts: byName('ams1').server.url,
        discovery_timeout: 2,
        ...pki.clientConfig('ops.troupe'),
        ...pki.tlsConfig('ops.troupe'),
      }),
    );
    let count = 0;
    await until('the ping across sites', async () => {
      const ping = await runMco(['ping', '-c', ops, '--expect', '1', '--json']);
      count = ping.code === 0 ? parseAs<PingJson>(ping.stdout).stats.count : 0;
      return count === 1;
    });
    expect(count).toBe(1);
  }, 60_000);

  it('refuses a node certificate and a certificate of another CA on the route, gateway and leafnode ports', async () => {
    const other = createDevPki({ nodes: ['intruder'] });
    try {
      const lon1 = byName('lon1');
      const node = { cert: pki.certPath(NODE), key: pki.keyPath(NODE) };
      const stranger = { cert: other.certPath('intruder'), key: other.keyPath('intruder') };
      const mark = lon1.server.logPosition;
      for (const [port, info] of [
        [lon1.ports.cluster, false],
        [lon1.ports.gateway, false],
        [lon1.ports.leaf, true],
      ] as const) {
        expect(await dialAs(port, node, info)).toBe('refused');
        expect(await dialAs(port, stranger, info)).toBe('refused');
      }
      for (const kind of ['route', 'gateway', 'leafnode'])
        await lon1.server.waitForLog(new RegExp(`TLS ${kind} handshake error: certificate not pinned`), mark);
      await lon1.server.waitForLog(
        /TLS (route|gateway|leafnode) handshake error: .*(unknown authority|certificate signed by unknown)/,
        mark,
      );
    } finally {
      other.cleanup();
    }
  }, 60_000);

  it('says a restart is needed when a broker certificate is revoked, and refuses it after the restart', async () => {
    const lon1 = byName('lon1');
    const spare = { cert: pki.certPath('spare-broker'), key: pki.keyPath('spare-broker') };
    pki.revoke('spare-broker');
    const r = write(lon1);
    expect(r.reload).toMatchObject({ signalled: false, restartNeeded: true, pid: lon1.server.pid });
    expect(r.reload.signalled ? '' : r.reload.reason).toMatch(/gateway .*leafnodes/);
    expect(readFileSync(lon1.file, 'utf8')).toContain(`# troupe-broker-restart-pending: ${lon1.server.pid}`);
    // Asking again while the same broker runs still says so: the file remembers.
    expect(write(lon1).reload).toMatchObject({ restartNeeded: true });
    await lon1.server.kill();
    await lon1.server.start();
    await until('lon1 back in its cluster', async () => (await monitor<{ num_routes: number }>(lon1, '/routez')).num_routes === 1);
    const mark = lon1.server.logPosition;
    expect(await dialAs(lon1.ports.cluster, spare)).toBe('refused');
    expect(await dialAs(lon1.ports.gateway, spare)).toBe('refused');
    expect(await dialAs(lon1.ports.leaf, spare, true)).toBe('refused');
    for (const kind of ['route', 'gateway', 'leafnode'])
      await lon1.server.waitForLog(new RegExp(`TLS ${kind} handshake error: certificate not pinned`), mark);
    // After the restart a plain rewrite reloads again.
    expect(write(lon1).reload).toMatchObject({ signalled: true });
  }, 60_000);
});
