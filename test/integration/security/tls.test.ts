// Mutual TLS to the broker: a nats-server run from `mco broker config`'s configuration, which verifies client
// certificates against the troupe CA. Without a certificate of that CA a client cannot even connect; with one,
// signed requests flow as usual. And the client checks the broker's name in its certificate.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { startTroupeBroker } from '../../../src/devkit/broker.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import type { ChildProcess } from 'node:child_process';
import { startDaemon, stopDaemon } from './daemon.js';

let pki: DevPki;
let other: DevPki;
let nats: LocalNatsServer;
let scratch: ReturnType<typeof scratchDir>;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  pki = createDevPki({ nodes: ['node1.example.net'], clients: ['ops.troupe'], broker: true });
  other = createDevPki({ clients: ['mallory.troupe'] });
  nats = (await startTroupeBroker(pki, { jetstream: false })).server;
  scratch = scratchDir('troupe-tls-');
});

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await nats?.stop();
  pki?.cleanup();
  other?.cleanup();
  scratch?.cleanup();
});

async function tryConnect(tls: { ca?: string; cert?: string; key?: string; serverName?: string }): Promise<string> {
  const c = new NatsConnector({ servers: [nats.url], connectTimeoutMs: 3000, tls });
  try {
    await c.connect();
    await c.flush();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.close().catch(() => undefined);
  }
}

describe('NATS with verified TLS', () => {
  it('lets in a client whose certificate the CA signed', async () => {
    const { tls_ca, tls_cert, tls_key } = pki.tlsConfig('ops.troupe');
    expect(await tryConnect({ ca: tls_ca, cert: tls_cert, key: tls_key })).toBe('connected');
  });

  it('refuses a client without a certificate', async () => {
    expect(await tryConnect({ ca: pki.caPath })).not.toBe('connected');
  });

  it('refuses a client whose certificate another CA signed', async () => {
    expect(await tryConnect({ ca: pki.caPath, cert: other.certPath('mallory.troupe'), key: other.keyPath('mallory.troupe') })).not.toBe(
      'connected',
    );
  });

  it('refuses a broker whose certificate does not chain to the configured CA', async () => {
    expect(await tryConnect({ ca: other.caPath, cert: pki.certPath('ops.troupe'), key: pki.keyPath('ops.troupe') })).toMatch(
      /certificate|self.signed|verify/i,
    );
  });

  it('verifies the broker name: the URL host, or tls_server_name', async () => {
    const creds = { ca: pki.caPath, cert: pki.certPath('ops.troupe'), key: pki.keyPath('ops.troupe') };
    expect(await tryConnect({ ...creds, serverName: 'localhost' })).toBe('connected');
    expect(await tryConnect({ ...creds, serverName: 'broker.elsewhere.example' })).toMatch(/altnames|host|name/i);
  });

  it('runs signed requests from mco over mutual TLS, and mco without a certificate fails to connect', async () => {
    const serverCfg = scratch.file(
      'server.cfg',
      configText({
        identity: 'node1.example.net',
        middleware_hosts: nats.url,
        logfile: join(scratch.dir, 'node.log'),
        ...pki.serverConfig(),
        ...pki.tlsConfig('node1.example.net'),
      }),
    );
    daemon = await startDaemon(serverCfg, join(scratch.dir, 'node.log'));
    const good = scratch.file(
      'client.cfg',
      configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig('ops.troupe'), ...pki.tlsConfig('ops.troupe') }),
    );
    const ping = await runMco(['ping', '-c', good, '--expect', '1', '--json']);
    expect(ping.code).toBe(0);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);

    const noCert = join(scratch.dir, 'nocert.cfg');
    writeFileSync(noCert, configText({ middleware_hosts: nats.url, ...pki.clientConfig('ops.troupe'), tls_ca: pki.caPath }));
    const refused = await runMco(['ping', '-c', noCert]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot connect to NATS/);
  });
});

describe('the broker name in its certificate', () => {
  // One broker per certificate under test; the client always trusts the CA that signed them.
  const brokers = new Map<string, LocalNatsServer>();

  beforeAll(async () => {
    pki.issue('dns-only', { profile: 'server', altNames: ['localhost'] });
    pki.issue('ip-only', { profile: 'server', altNames: ['127.0.0.1'] });
    pki.issue('localhost', { profile: 'server' }); // the name only in the common name
    pki.issue('127.0.0.1', { profile: 'server' });
    for (const name of ['dns-only', 'ip-only', 'localhost', '127.0.0.1'])
      brokers.set(name, await startNatsServer({ config: pki.natsTlsConfig(name) }));
  });

  afterAll(async () => {
    for (const b of brokers.values()) await b.stop();
  });

  async function connectTo(broker: string, host: string, serverName?: string): Promise<string> {
    const c = new NatsConnector({
      servers: [`nats://${host}:${brokers.get(broker)!.port}`],
      connectTimeoutMs: 3000,
      tls: { ...creds(), serverName },
    });
    try {
      await c.connect();
      await c.flush();
      return 'connected';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await c.close().catch(() => undefined);
    }
  }

  const creds = () => ({ ca: pki.caPath, cert: pki.certPath('ops.troupe'), key: pki.keyPath('ops.troupe') });

  it('refuses, for an IP address, a certificate that names only DNS:localhost', async () => {
    expect(await connectTo('dns-only', '127.0.0.1')).toMatch(/not valid for the IP address 127\.0\.0\.1 \(it names DNS:localhost/);
    expect(await connectTo('dns-only', 'localhost')).toBe('connected');
  });

  it('accepts, for an IP address, a certificate that lists it as an IP subjectAltName, and only for that address', async () => {
    expect(await connectTo('ip-only', '127.0.0.1')).toBe('connected');
    expect(await connectTo('ip-only', 'localhost')).toMatch(/not valid for the host name localhost/);
  });

  it('never takes the common name for the broker name', async () => {
    expect(await connectTo('localhost', '127.0.0.1')).toMatch(
      /not valid for the IP address 127\.0\.0\.1 \(it has no subjectAltName; a common name does not count\)/,
    );
    expect(await connectTo('localhost', 'localhost')).toMatch(/not valid for the host name localhost \(it has no subjectAltName/);
    expect(await connectTo('127.0.0.1', '127.0.0.1')).toMatch(/not valid for the IP address 127\.0\.0\.1/);
    expect(await connectTo('localhost', '127.0.0.1', 'localhost')).toMatch(/not valid for the host name localhost/);
  });

  it('mco refuses a broker whose certificate does not name the address in middleware_hosts, saying why', async () => {
    const cfg = scratch.file(
      'wrong-name.cfg',
      configText({
        middleware_hosts: `nats://127.0.0.1:${brokers.get('dns-only')!.port}`,
        'plugin.nats.connect_timeout': 3,
        ...pki.clientConfig('ops.troupe'),
        ...pki.tlsConfig('ops.troupe'),
      }),
    );
    const r = await runMco(['ping', '-c', cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to NATS .*not valid for the IP address 127\.0\.0\.1/);
  });
});
