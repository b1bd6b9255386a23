// The CA service found by DNS SRV (`_x-puppet-ca._tcp`, use_srv without plugin.security.ca_url), from a real DNS
// server (dnsmasq): a new node enrolls with it; while it is down, enrolled nodes keep answering on the CRL they
// have, and a new node keeps trying with back-off and gets its certificate once the service is back.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type LocalDnsServer } from '../../../src/devkit/dns.js';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson } from '../../helpers/json.js';
import { MCO, runMco, scratchDir, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import { startCaProcess, type CaServiceProcess } from './ca-process.js';
import { writeFileSync } from 'node:fs';

const DOMAIN = 'example.test';
let scratch: Scratch;
let dns: LocalDnsServer;
let nats: LocalNatsServer;
let caDir: string;
let caPort: number;
let caFingerprint: string;
let service: CaServiceProcess | undefined;
let operator: string;
const daemons: RunningDaemon[] = [];

const srvKeys = () => ({ use_srv: 'true', srv_domain: DOMAIN, srv_nameserver: dns.nameserver, srv_timeout: 0.5 });

function nodeConfig(identity: string): { cfg: string; log: string } {
  const log = join(scratch.dir, `${identity}.log`);
  const cfg = scratch.config(`${identity}.cfg`, {
    ...srvKeys(),
    identity,
    logfile: log,
    securityprovider: 'pki',
    'plugin.security.ssldir': join(scratch.dir, `${identity}-ssl`),
    'plugin.security.crl_refresh_interval': 1,
  });
  return { cfg, log };
}

async function pingCount(expect: number): Promise<number> {
  const r = await runMco(['ping', '-c', operator, '--expect', String(expect), '-t', '3', '--json']);
  return parseAs<PingJson>(r.stdout).stats.count;
}

beforeAll(async () => {
  scratch = scratchDir('troupe-ca-srv-');
  caDir = join(scratch.dir, 'ca');
  caPort = await freePort();
  nats = await startNatsServer();
  dns = await startDnsServer({
    domains: [DOMAIN],
    records: [
      { name: `_x-puppet-ca._tcp.${DOMAIN}`, target: '127.0.0.1', port: caPort, priority: 10 },
      { name: `_troupe-server._tcp.${DOMAIN}`, target: '127.0.0.1', port: nats.port, priority: 10 },
    ],
  });
  const init = await runMco(['ca', 'init', '--dir', caDir]);
  expect(init.code, init.stderr).toBe(0);
  caFingerprint = /fingerprint \(SHA256\): (\S+)/.exec(init.stdout)![1]!;
  writeFileSync(join(caDir, 'autosign.conf'), `*.${DOMAIN}\n`);
  const ops = join(scratch.dir, 'ops-ssl');
  expect((await runMco(['ca', 'generate', 'ops.troupe', '--client', '--dir', caDir, '--out', ops])).code).toBe(0);
  operator = scratch.config('ops.cfg', {
    ...srvKeys(),
    discovery_timeout: 1,
    securityprovider: 'pki',
    'plugin.security.ssldir': ops,
    'plugin.security.certname': 'ops.troupe',
  });
  service = await startCaProcess(caDir, caPort);
}, 60_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await service?.stop();
  await dns?.stop();
  await nats?.stop();
  scratch?.cleanup();
});

describe('the CA service found by DNS SRV', () => {
  it('a new node gets its certificate from the CA service _x-puppet-ca._tcp names, then joins', async () => {
    const { cfg, log } = nodeConfig('node1.example.test');
    const r = await runMco(['enroll', '-c', cfg, '--ca-fingerprint', caFingerprint, '--wait', '10', '--poll', '0.2']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`CA service found by DNS SRV: https://127.0.0.1:${caPort}`);
    expect(r.stdout).toContain('Certificate for node1.example.test saved');
    daemons.push(await startDaemon(cfg, log));
    expect(await pingCount(1)).toBe(1);
  });

  it('mco enroll without ca_url or use_srv says how to name the CA service', async () => {
    const cfg = scratch.config('plain.cfg', { identity: 'plain.example.test', 'plugin.security.ssldir': join(scratch.dir, 'plain-ssl') });
    const r = await runMco(['enroll', '-c', cfg, '--wait', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no CA service to enroll with');
    expect(r.stderr).toContain('use_srv');
  });

  it('while the CA service is down, enrolled nodes answer; a new node retries with back-off until it is back', async () => {
    await service!.stop();
    service = undefined;
    // node1 follows the CA it found by SRV for its CRL, notices it gone, and keeps the CRL it has.
    const node1 = daemons[0]!;
    await node1.waitForLog((l) => String(l.msg).includes('cannot fetch the CRL from the CA service'));
    expect(await pingCount(1)).toBe(1);

    const { cfg, log } = nodeConfig('node2.example.test');
    const enrolling = spawn(
      process.execPath,
      [MCO, 'enroll', '-c', cfg, '--ca-fingerprint', caFingerprint, '--wait', '60', '--poll', '0.2'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    enrolling.stdout.on('data', (d: Buffer) => (out += d.toString()));
    enrolling.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => enrolling.once('exit', (code) => resolve(code)));
    try {
      const retries = () => out.match(/The CA service is unreachable \(.*\); trying again in (\d+\.\d) s/g) ?? [];
      await waitFor('three tries of the enrolment while the CA service is down', () => retries().length >= 3, 20_000, 50);
      const pauses = retries().map((line) => Number(/in (\d+\.\d) s/.exec(line)![1]));
      expect(pauses.slice(0, 3)).toEqual([0.2, 0.4, 0.8]);
      expect(out).toContain(`cannot reach the CA service at https://127.0.0.1:${caPort}`);
      expect(enrolling.exitCode).toBeNull();

      const backAt = performance.now();
      service = await startCaProcess(caDir, caPort);
      const code = await exited;
      const tookMs = performance.now() - backAt;
      expect(code, out).toBe(0);
      expect(out).toContain('Certificate for node2.example.test saved');
      console.log(
        `CA back: node2 enrolled ${Math.round(tookMs)} ms after the CA service started again (${retries().length} tries while it was down)`,
      );
    } finally {
      if (enrolling.exitCode === null) enrolling.kill('SIGKILL');
    }
    daemons.push(await startDaemon(cfg, log));
    expect(await pingCount(2)).toBe(2);
  }, 90_000);
});
