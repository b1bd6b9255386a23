// Puppet's PKI used unchanged: an ssldir laid out as Puppet's (certs/<name>.pem, private_keys/<name>.pem with
// PKCS#1 RSA keys, certs/ca.pem, crl.pem), made here by OpenSSL acting as the Puppet CA, with Puppet's
// certificate extensions. troupe reads it through plugin.security.ssldir and needs no CA of its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configText } from '../../../src/devkit/pki.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type DaemonStatsJson, type PingJson, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, stopDaemon } from './daemon.js';
import { credentialsFrom, envelope, Injector, sign } from './craft.js';

const NODE = 'node1.example.net';
let scratch: ReturnType<typeof scratchDir>;
let nats: LocalNatsServer;
let daemon: ChildProcess | undefined;
let ssldir: string;
const cfg: Record<string, string> = {};

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** An OpenSSL CA configured like Puppet's: RSA, SHA-256, Puppet's extensions on every certificate. */
function puppetCa(dir: string): { issue(name: string, extensions?: string): void; revoke(name: string): void } {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ ca ]
default_ca = puppet
[ puppet ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca_crt.pem
private_key = $dir/ca_key.pem
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 30
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
[ puppet_cert ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nsComment = "Puppet Server Internal Certificate"
1.3.6.1.4.1.34380.1.1.13 = ASN1:UTF8String:webserver
[ puppet_operator ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.3.6.1.4.1.34380.1.3.13 = ASN1:UTF8String:troupe-operator
`,
  );
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca_key.pem',
    '-out',
    'ca_crt.pem',
    '-days',
    '30',
    '-subj',
    '/CN=Puppet CA: puppet.example.net',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  return {
    issue(name, extensions = 'puppet_cert') {
      openssl(dir, 'genrsa', '-traditional', '-out', `${name}.key`, '2048');
      openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
      openssl(dir, 'ca', '-batch', '-config', 'ca.cnf', '-extensions', extensions, '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`);
    },
    revoke(name) {
      openssl(dir, 'ca', '-config', 'ca.cnf', '-revoke', `${name}.pem`);
    },
  };
}

beforeAll(async () => {
  scratch = scratchDir('troupe-puppet-pki-');
  const caDir = join(scratch.dir, 'puppetserver-ca');
  const ca = puppetCa(caDir);
  const names = [NODE, 'admin.mcollective', 'former.mcollective', 'agent.mcollective'];
  // Operators carry pp_auth_role = troupe-operator, which puppetserver signs only with allow-authorization-extensions.
  ca.issue(NODE);
  ca.issue('admin.mcollective', 'puppet_operator');
  ca.issue('former.mcollective', 'puppet_operator');
  // A plain agent certificate whose name matches the client pattern.
  ca.issue('agent.mcollective');
  ca.revoke('former.mcollective');
  openssl(caDir, 'ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem');

  ssldir = join(scratch.dir, 'ssl');
  mkdirSync(join(ssldir, 'certs'), { recursive: true });
  mkdirSync(join(ssldir, 'private_keys'), { recursive: true, mode: 0o750 });
  copyFileSync(join(caDir, 'ca_crt.pem'), join(ssldir, 'certs', 'ca.pem'));
  copyFileSync(join(caDir, 'crl.pem'), join(ssldir, 'crl.pem'));
  for (const n of names) {
    copyFileSync(join(caDir, `${n}.pem`), join(ssldir, 'certs', `${n}.pem`));
    copyFileSync(join(caDir, `${n}.key`), join(ssldir, 'private_keys', `${n}.pem`));
  }

  nats = await startNatsServer();
  const logFile = join(scratch.dir, 'node.log');
  cfg.node = scratch.file(
    'server.cfg',
    configText({ identity: NODE, middleware_hosts: nats.url, logfile: logFile, securityprovider: 'pki', 'plugin.security.ssldir': ssldir }),
  );
  for (const who of ['admin.mcollective', 'former.mcollective']) {
    cfg[who] = scratch.file(
      `${who}.cfg`,
      configText({
        middleware_hosts: nats.url,
        discovery_timeout: 1,
        securityprovider: 'pki',
        'plugin.security.ssldir': ssldir,
        'plugin.security.certname': who,
      }),
    );
  }
  daemon = await startDaemon(cfg.node, logFile);
}, 60_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await nats?.stop();
  scratch?.cleanup();
});

describe('Puppet PKI mode', () => {
  it('uses the Puppet ssldir as it is: PKCS#1 keys, Puppet extensions, OpenSSL CRL', () => {
    expect(readFileSync(join(ssldir, 'private_keys', `${NODE}.pem`), 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
    expect(readFileSync(join(ssldir, 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
  });

  it('signed requests from a Puppet-issued client certificate reach a node with a Puppet-issued certificate', async () => {
    const ping = await runMco(['ping', '-c', cfg['admin.mcollective']!, '--expect', '1', '--json']);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
    const inv = await runMco(['rpc', 'rpcutil', 'inventory', '-I', NODE, '-c', cfg['admin.mcollective']!, '--json']);
    expect(parseAs<ReportJson>(inv.stdout).replies[0]).toMatchObject({ sender: NODE, statuscode: 0 });
  });

  it('a certificate the Puppet CA revoked is refused through its CRL, by mco itself and by the node', async () => {
    const own = await runMco(['ping', '-c', cfg['former.mcollective']!, '--json', '-t', '1']);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/former\.mcollective .*is revoked/);

    const injector = new Injector(nats.url);
    await injector.connect();
    try {
      const former = credentialsFrom(
        join(ssldir, 'certs', 'former.mcollective.pem'),
        join(ssldir, 'private_keys', 'former.mcollective.pem'),
      );
      expect(await injector.send(sign(JSON.stringify(envelope('cert=former.mcollective')), former))).toEqual([]);
      const admin = credentialsFrom(join(ssldir, 'certs', 'admin.mcollective.pem'), join(ssldir, 'private_keys', 'admin.mcollective.pem'));
      expect(await injector.send(sign(JSON.stringify(envelope('cert=admin.mcollective')), admin))).toHaveLength(1);
      // Without the operator role an agent certificate sends nothing, whatever its name.
      const agent = credentialsFrom(join(ssldir, 'certs', 'agent.mcollective.pem'), join(ssldir, 'private_keys', 'agent.mcollective.pem'));
      expect(await injector.send(sign(JSON.stringify(envelope('cert=agent.mcollective')), agent))).toEqual([]);
    } finally {
      await injector.close();
    }
    const stats = await runMco(['rpc', 'rpcutil', 'daemon_stats', '-I', NODE, '-c', cfg['admin.mcollective']!, '--json']);
    expect(parseAs<DaemonStatsJson>(stats.stdout).replies[0]!.data.rejected).toMatchObject({ revoked_certificate: 1, not_a_client: 1 });
  });
});
