// The CA as a service on its own: nodes and clients enroll over HTTPS, the operator lists and signs (operator
// names only ever explicitly), revocation reaches nodes through the served CRL, and the
// collective keeps working while the CA service is down.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configText } from '../../../src/devkit/pki.js';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type DaemonStatsJson, type PingJson } from '../../helpers/json.js';
import { MCO, runMco, scratchDir } from '../../helpers/mco.js';
import { logLines, startDaemon, stopDaemon } from './daemon.js';
import { waitFor } from '../../helpers/wait.js';

const NODE = 'node1.example.net';
let scratch: ReturnType<typeof scratchDir>;
let caDir: string;
let caUrl: string;
let caPort: number;
let service: ChildProcess | undefined;
let serviceLog = '';
let nats: LocalNatsServer;
let daemon: ChildProcess | undefined;
let nodeLog: string;
const cfg: Record<string, string> = {};

function startService(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [MCO, 'ca', 'serve', '--dir', caDir, '--listen', `127.0.0.1:${caPort}`, '--hostnames', '127.0.0.1,localhost'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => reject(new Error(`CA service did not start: ${serviceLog}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => (serviceLog += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('CA service listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`CA service exited (${code}): ${serviceLog}`)));
  });
}

async function stopService(): Promise<void> {
  const child = service;
  service = undefined;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

const ssl = (who: string) => join(scratch.dir, `${who}-ssl`);
const enroll = (who: string, ...args: string[]) => runMco(['enroll', '-c', cfg[who]!, '--poll', '0.2', ...args], { timeoutMs: 30_000 });

beforeAll(async () => {
  scratch = scratchDir('troupe-ca-service-');
  caDir = join(scratch.dir, 'ca');
  caPort = await freePort();
  caUrl = `https://127.0.0.1:${caPort}`;
  nats = await startNatsServer();
  nodeLog = join(scratch.dir, 'node.log');
  cfg[NODE] = scratch.file(
    'server.cfg',
    configText({
      identity: NODE,
      middleware_hosts: nats.url,
      logfile: nodeLog,
      securityprovider: 'pki',
      'plugin.security.ssldir': ssl('node'),
      'plugin.security.ca_url': caUrl,
      'plugin.security.crl_refresh_interval': 1,
    }),
  );
  for (const who of ['ops.troupe', 'sre.troupe']) {
    cfg[who] = scratch.file(
      `${who}.cfg`,
      configText({
        middleware_hosts: nats.url,
        discovery_timeout: 1,
        securityprovider: 'pki',
        'plugin.security.ssldir': ssl(who),
        'plugin.security.certname': who,
        'plugin.security.ca_url': caUrl,
      }),
    );
  }
}, 30_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await stopService();
  await nats?.stop();
  scratch?.cleanup();
});

describe('mco ca and mco enroll', () => {
  let caFingerprint = '';

  it('ca init makes a CA; ca serve runs it over HTTPS', async () => {
    const init = await runMco(['ca', 'init', '--dir', caDir]);
    expect(init.code).toBe(0);
    caFingerprint = /fingerprint \(SHA256\): (\S+)/.exec(init.stdout)![1]!;
    expect(statSync(join(caDir, 'ca_key.pem')).mode & 0o777).toBe(0o600);
    service = await startService();
  });

  it('ca generate issues a key and certificate as an ssldir to copy to a host', async () => {
    const out = join(scratch.dir, 'generated');
    const r = await runMco(['ca', 'generate', 'backup.troupe', '--client', '--key-type', 'ed25519', '--dir', caDir, '--out', out]);
    expect(r.code).toBe(0);
    expect(statSync(join(out, 'private_keys', 'backup.troupe.pem')).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(readFileSync(join(out, 'certs', 'backup.troupe.pem'))).subject).toBe('CN=backup.troupe');
    expect(readFileSync(join(out, 'certs', 'ca.pem'), 'utf8')).toBe(readFileSync(join(caDir, 'ca_crt.pem'), 'utf8'));
    const json = JSON.parse((await runMco(['ca', 'list', '--all', '--json', '--dir', caDir])).stdout) as Array<{
      name: string;
      state: string;
    }>;
    expect(json).toContainEqual(expect.objectContaining({ name: 'backup.troupe', state: 'signed' }));
  });

  it('refuses a CA whose fingerprint differs from the one given', async () => {
    const r = await enroll(NODE, '--wait', '0', '--ca-fingerprint', 'AA:BB');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fingerprint/);
  });

  it('a node enrolls: request pending, listed with its fingerprint, signed by the operator, then fetched', async () => {
    const first = await enroll(NODE, '--wait', '0', '--ca-fingerprint', caFingerprint);
    expect(first.code).toBe(2);
    expect(first.stdout).toContain(`CA certificate fingerprint (SHA256): ${caFingerprint}`);
    const requestFp = /request for node1\.example\.net, fingerprint \(SHA256\) (\S+)/.exec(first.stdout)![1]!;
    expect(statSync(join(ssl('node'), 'private_keys', `${NODE}.pem`)).mode & 0o777).toBe(0o600);

    const list = await runMco(['ca', 'list', '--dir', caDir]);
    expect(list.stdout).toContain('Requested certificates:');
    expect(list.stdout).toMatch(new RegExp(`${NODE.replace(/\./g, '\\.')}\\s+\\(SHA256\\) ${requestFp}`));

    expect((await runMco(['ca', 'sign', NODE, '--dir', caDir])).stdout).toContain(`Signed ${NODE}`);
    const second = await enroll(NODE, '--wait', '10');
    expect(second.code).toBe(0);
    expect(readFileSync(join(ssl('node'), 'certs', `${NODE}.pem`), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(join(ssl('node'), 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
    expect((await runMco(['ca', 'list', '--dir', caDir])).stdout).toContain('No pending certificate requests.');
  });

  it('operators enroll: autosign.conf never signs their names, the operator does, as operators', async () => {
    writeFileSync(join(caDir, 'autosign.conf'), '# nodes and clients\n*.example.net\n*.troupe\n');
    for (const who of ['ops.troupe', 'sre.troupe']) {
      const r = await enroll(who, '--wait', '0', '--ca-fingerprint', caFingerprint, '--key-type', who === 'ops.troupe' ? 'rsa' : 'ed25519');
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(serviceLog).toContain(`${who} is an operator name; it is never autosigned`);
      expect((await runMco(['ca', 'sign', who, '--dir', caDir])).stdout).toContain(`Signed ${who} as an operator`);
      const fetched = await enroll(who, '--wait', '5');
      expect(fetched.code, fetched.stdout + fetched.stderr).toBe(0);
    }
    const all = await runMco(['ca', 'list', '--all', '--dir', caDir]);
    expect(all.stdout).toMatch(/Signed certificates:[\s\S]*node1\.example\.net[\s\S]*ops\.troupe[\s\S]*sre\.troupe/);
  });

  it('enrolled certificates work: signed requests over the collective', async () => {
    daemon = await startDaemon(cfg[NODE]!, nodeLog);
    for (const who of ['ops.troupe', 'sre.troupe']) {
      const ping = await runMco(['ping', '-c', cfg[who]!, '--expect', '1', '--json']);
      expect(parseAs<PingJson>(ping.stdout).stats.count, who).toBe(1);
    }
  });

  it('revoking a certificate reaches the node through the served CRL', async () => {
    const r = await runMco(['ca', 'revoke', 'ops.troupe', '--dir', caDir]);
    expect(r.code).toBe(0);
    expect((await runMco(['ca', 'list', '--all', '--dir', caDir])).stdout).toMatch(/Revoked certificates:\s+ops\.troupe/);
    const deadline = Date.now() + 15_000;
    let answered = 1;
    while (answered > 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 700));
      answered = parseAs<PingJson>((await runMco(['ping', '-c', cfg['ops.troupe']!, '--json', '-t', '1'])).stdout).stats.count;
    }
    expect(answered).toBe(0);
    const stats = await runMco(['rpc', 'rpcutil', 'daemon_stats', '-I', NODE, '-c', cfg['sre.troupe']!, '--json']);
    expect(parseAs<DaemonStatsJson>(stats.stdout).replies[0]!.data.rejected.revoked_certificate).toBeGreaterThanOrEqual(1);
  });

  it('the collective keeps working while the CA service is down', async () => {
    await stopService();
    const warnings = () => logLines(nodeLog).filter((l) => String(l.msg).includes('cannot fetch the CRL from the CA service'));
    await waitFor('the node to find the CA service gone', () => warnings().length > 0, 15_000, 100);
    const ping = await runMco(['ping', '-c', cfg['sre.troupe']!, '--expect', '1', '--json']);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
    // Still revoked: the node keeps the last CRL it had.
    expect(parseAs<PingJson>((await runMco(['ping', '-c', cfg['ops.troupe']!, '--json', '-t', '1'])).stdout).stats.count).toBe(0);
    // Refreshed every second meanwhile, and warned once.
    expect(warnings()).toHaveLength(1);
  });
});
