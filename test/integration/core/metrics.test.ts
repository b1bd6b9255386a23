// The daemon's Prometheus endpoint (`metrics_port`): a real `mco server run` on a real nats-server, scraped over
// HTTP while real `mco` requests, a malformed message and a broker restart go by.
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type DaemonStatsJson } from '../../helpers/json.js';
import { MCO, runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { clientConfig } from './fleet.js';
import { spawnSync } from 'node:child_process';
import { isLoopback } from '../../../src/server/metrics.js';

const IDENTITY = 'metrics.example.net';
const scratch = scratchDir('troupe-metrics-');
let broker: LocalNatsServer;
let daemon: RunningDaemon;
let nc: NatsConnection;
let port: number;
let client: string;
let sim: RunningSim | undefined;

function serverConfig(name: string, extra: string[]): string {
  return scratch.file(
    `${name}.cfg`,
    [
      `identity = ${IDENTITY}`,
      `middleware_hosts = ${broker.url}`,
      'securityprovider = insecure',
      'plugin.actionpolicy.allow_unconfigured = 1',
      `logfile = ${scratch.dir}/${name}.log`,
      'loglevel = info',
      'registration_splay = 0',
      ...extra,
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  port = await freePort();
  daemon = await startDaemon(serverConfig('daemon', [`metrics_port = ${port}`]), `${scratch.dir}/daemon.log`);
  client = clientConfig(scratch, broker.url);
  nc = await connect({ servers: broker.url.replace('nats://', '') });
});

afterAll(async () => {
  await nc?.close();
  await sim?.stop();
  await daemon?.stop();
  await broker?.stop();
  scratch.cleanup();
});

function get(path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample, `name{labels}` as the exposition text writes it (labels in declaration order). */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const { body } = await get('/metrics');
  const want = Object.entries({ ...labels, identity: IDENTITY })
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean).sort();
    if (JSON.stringify(have) === JSON.stringify(want)) return Number(m[3]);
  }
  return undefined;
}

/** Scrapes until the sample satisfies `ok` (the daemon handles messages asynchronously). */
async function sampleWhen(
  name: string,
  labels: Record<string, string>,
  ok: (v: number | undefined) => boolean,
): Promise<number | undefined> {
  const deadline = Date.now() + 15_000;
  let v = await sample(name, labels);
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = await sample(name, labels);
  }
  return v;
}

async function daemonStats() {
  const r = await runMco(['rpc', 'rpcutil', 'daemon_stats', '-I', IDENTITY, '--json', '--config', client]);
  expect(r.code, r.stderr).toBe(0);
  return parseAs<DaemonStatsJson>(r.stdout).replies[0]!.data;
}

describe('the metrics endpoint', () => {
  it('serves Prometheus text at /metrics, and nothing else', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE troupe_requests_total counter');
    expect(r.body).toContain('# TYPE troupe_action_duration_seconds histogram');
    expect(r.body).toMatch(/^process_resident_memory_bytes\{identity="metrics.example.net"\} \d+/m);
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
    expect(await sample('troupe_broker_connected')).toBe(1);
  });

  it('counts requests by agent, action and outcome, with their latency, as daemon_stats counts messages', async () => {
    const before = (await sample('troupe_requests_total', { agent: 'rpcutil', action: 'ping', outcome: 'ok' })) ?? 0;
    const r = await runMco(['rpc', 'rpcutil', 'ping', '-I', IDENTITY, '--config', client]);
    expect(r.code, r.stderr).toBe(0);
    const labels = { agent: 'rpcutil', action: 'ping', outcome: 'ok' };
    expect(await sampleWhen('troupe_requests_total', labels, (v) => v === before + 1)).toBe(before + 1);
    expect(await sample('troupe_action_duration_seconds_count', { agent: 'rpcutil', action: 'ping' })).toBe(before + 1);
    // The daemon_stats request itself is counted by both before either answers.
    const stats = await daemonStats();
    const total = await sampleWhen('troupe_messages_total', { stage: 'total' }, (v) => v === stats.total);
    expect(total).toBe(stats.total);
    // Its own reply is counted once encoded, after the snapshot it carries was taken.
    expect(await sampleWhen('troupe_messages_total', { stage: 'replies' }, (v) => v === stats.replies + 1)).toBe(stats.replies + 1);
  });

  it('counts a rejected message under its reason, the same number daemon_stats reports', async () => {
    nc.publish(`mcollective.node.${IDENTITY}`, new TextEncoder().encode('this is not a troupe message'));
    await nc.flush();
    expect(await sampleWhen('troupe_rejections_total', { reason: 'malformed' }, (v) => v === 1)).toBe(1);
    expect((await daemonStats()).rejected['malformed']).toBe(1);
  });

  it('counts registry publishes', async () => {
    expect(await sampleWhen('troupe_registry_publishes_total', { outcome: 'ok' }, (v) => (v ?? 0) >= 1)).toBeGreaterThanOrEqual(1);
    expect(await sample('troupe_registry_publishes_total', { outcome: 'failed' })).toBe(0);
  });

  it('follows the broker connection: lost, then back', async () => {
    await broker.kill();
    expect(await sampleWhen('troupe_broker_connected', {}, (v) => v === 0)).toBe(0);
    expect(await sample('troupe_broker_disconnects_total')).toBe(1);
    await broker.start();
    expect(await sampleWhen('troupe_broker_reconnects_total', {}, (v) => v === 1)).toBe(1);
    expect(await sample('troupe_broker_connected')).toBe(1);
  });
});

describe('metrics configuration', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.net'].some(isLoopback)).toBe(false);
  });

  it('refuses a non-loopback metrics_bind unless metrics_allow_remote is on', async () => {
    const cfg = serverConfig('remote', [`metrics_port = ${await freePort()}`, 'metrics_bind = 0.0.0.0']);
    const r = spawnSync(process.execPath, [MCO, 'server', 'run', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^mco: metrics_bind = 0\.0\.0\.0 is not a loopback address/);
  });

  it('stops the daemon with one line when the port is taken', () => {
    const cfg = serverConfig('taken', [`metrics_port = ${port}`]);
    const r = spawnSync(process.execPath, [MCO, 'server', 'run', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^mco: cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('opens no port in the simulator, whatever metrics_port says', async () => {
    const simPort = await freePort();
    sim = await startSim(['--nodes', '3', '--prefix', 'msim', '-c', serverConfig('sim', [`metrics_port = ${simPort}`])]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port: simPort }, () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
