// A simulated fleet with securityprovider = pki: each virtual node signs with its own certificate
// (<ssldir>/certs/<identity>.pem), logs in to the broker with it (tls_cert = …/{identity}.pem, a broker run
// from `mco broker config`'s configuration) and keeps its own replay cache, while the process shares one CA,
// CRL and signature cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { startTroupeBroker } from '../../../src/devkit/broker.js';
import { generateFleet } from '../../../src/server/fleet.js';
import type { LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';

const COUNT = 8;
let pki: DevPki;
let nats: LocalNatsServer;
let scratch: ReturnType<typeof scratchDir>;
let sim: RunningSim | undefined;
let client: string;
let simCfg: string;

beforeAll(async () => {
  // Issued through the CA's records, which the broker's users are made from.
  pki = createDevPki({ nodes: generateFleet(COUNT).nodes.map((n) => n.identity), clients: ['ops.troupe'], broker: true });
  nats = (await startTroupeBroker(pki, { jetstream: false })).server;
  scratch = scratchDir('troupe-pki-fleet-');
  simCfg = scratch.file('sim.cfg', configText({ middleware_hosts: nats.url, ...pki.serverConfig(), ...pki.fleetTlsConfig() }));
  client = scratch.file(
    'client.cfg',
    configText({ middleware_hosts: nats.url, discovery_timeout: 2, ...pki.clientConfig('ops.troupe'), ...pki.tlsConfig('ops.troupe') }),
  );
  sim = await startSim(['--nodes', String(COUNT), '-c', simCfg]);
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await nats?.stop();
  pki?.cleanup();
  scratch?.cleanup();
});

describe('mco sim with per-node certificates', () => {
  it('every virtual node answers a signed broadcast, with a reply signed by its own certificate', async () => {
    const ping = await runMco(['ping', '-c', client, '--expect', String(COUNT), '--json']);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(COUNT);
    const rpc = await runMco(['rpc', 'rpcutil', 'ping', '-c', client, '--json']);
    const senders = parseAs<ReportJson>(rpc.stdout)
      .replies.map((r) => r.sender)
      .sort();
    expect(senders).toEqual(
      generateFleet(COUNT)
        .nodes.map((n) => n.identity)
        .sort(),
    );
  });

  it('a virtual node without a certificate stops the simulator with a clear error', async () => {
    const r = await runMco(['sim', '--nodes', '1', '--prefix', 'uncertified', '-c', simCfg], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/(node|TLS) certificate .*uncertified-00001\.example\.net\.pem not found/);
  });
});
