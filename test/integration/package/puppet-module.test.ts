// The Puppet module (puppet/troupe) applied with real `puppet apply` (Debian's Puppet 7) inside a pristine Debian 12
// root: it installs the package from a .deb, writes server.cfg, facts, policies and client.cfg, copies the node's
// certificate from Puppet's ssldir, starts the service (the init script: no systemd in a chroot), and the node then
// answers `mco ping` (filtered on a fact the module set) over a private nats-server on the host loopback. A second
// apply changes nothing. troupe::broker is only compiled (it would manage the host's nats-server).
// The node runtime: the stand-in nodejs package from the host's node (see chroot.ts), installed before Puppet runs,
// as a site installs NodeSource's repository before this module.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { ROOT, scratchDir, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { NATS_SERVER_BIN } from '../../../src/devkit/nats-server.js';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';
import { buildPackage, CHROOT_USABLE, nodejsStandIn, prepareRoot, type TestRoot } from './chroot.js';

const NODE_ID = 'pupnode.example.net';
const OPERATOR = 'ops.troupe';

describe.skipIf(!CHROOT_USABLE)('the Puppet module applied on a Debian 12 node', () => {
  let scratch: Scratch;
  let box: TestRoot | undefined;
  let nats: LocalNatsServer | undefined;
  let pki: DevPki | undefined;
  const figures: Record<string, string> = {};

  /** `puppet apply` in the root with --detailed-exitcodes: 0 nothing changed, 2 changes, 4/6 failures. */
  const apply = async (manifest: string): Promise<{ code: number; output: string }> => {
    const argv = ['puppet', 'apply', '--detailed-exitcodes', '--color=false', '--modulepath', '/tmp/modules', manifest];
    try {
      return { code: 0, output: await box!.exec(...argv) };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    scratch = scratchDir('troupe-puptest-');
    const { deb } = buildPackage(scratch.dir);
    box = prepareRoot(scratch, 'puppet');
    const root = box.root;
    await box.exec('dpkg', '-i', nodejsStandIn(scratch, root));
    cpSync(deb, join(root, 'tmp/troupe.deb'));
    cpSync(join(ROOT, 'puppet/troupe'), join(root, 'tmp/modules/troupe'), { recursive: true });
    nats = await startNatsServer();
    pki = createDevPki({ dir: join(scratch.dir, 'pki'), nodes: [NODE_ID], clients: [OPERATOR] });
    // The node's certificate where Debian's Puppet keeps it; the operator's in root's ~/.troupe.
    const puppetSsl = join(root, 'var/lib/puppet/ssl');
    for (const rel of ['certs/ca.pem', 'crl.pem', `certs/${NODE_ID}.pem`, `private_keys/${NODE_ID}.pem`]) {
      mkdirSync(join(puppetSsl, rel, '..'), { recursive: true });
      cpSync(join(pki.ssldir, rel), join(puppetSsl, rel));
    }
    cpSync(pki.ssldir, join(root, 'root/.troupe/ssl'), { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await box?.close();
    await nats?.stop();
    scratch?.cleanup();
    console.log(`puppet module figures: ${JSON.stringify(figures, null, 2)}`);
  });

  it('installs and configures the daemon, and the node answers mco ping', async () => {
    const site = `
      class { 'troupe':
        brokers        => ['nats://127.0.0.1:${nats!.port}'],
        collectives    => ['mcollective', 'web'],
        package_source => '/tmp/troupe.deb',
      }
      class { 'troupe::server':
        identity      => '${NODE_ID}',
        puppet_ssldir => '/var/lib/puppet/ssl',
        static_facts  => { 'role' => 'web', 'tier' => 3, 'motto' => 'say "hi"' },
        policies      => {
          'rpcutil' => { 'default' => 'deny', 'rules' => [{ 'effect' => 'allow', 'callers' => 'operators', 'actions' => '*' }] },
        },
        policy_groups => { 'operators' => ['cert=${OPERATOR}'] },
      }
      class { 'troupe::client':
        certname => '${OPERATOR}',
        ssldir   => '/root/.troupe/ssl',
        path     => '/root/.troupe/client.cfg',
      }
    `;
    writeFileSync(join(box!.root, 'tmp/site.pp'), site);

    const t0 = performance.now();
    const first = await apply('/tmp/site.pp');
    figures['first puppet apply'] = `${Math.round(performance.now() - t0)} ms`;
    expect(first.code, first.output).toBe(2);
    expect(readFileSync(join(box!.root, 'etc/troupe/server.cfg'), 'utf8')).toContain(`identity = ${NODE_ID}`);
    expect(readFileSync(join(box!.root, 'etc/troupe/policies/rpcutil.policy'), 'utf8')).toContain('allow\toperators\t*\t*\t*');

    const log = () => {
      const file = join(box!.root, 'var/log/troupe/server.log');
      return `${first.output}\n${existsSync(file) ? readFileSync(file, 'utf8') : 'no server.log'}`;
    };
    // The service is started by Puppet; the daemon then connects in the background.
    await waitFor('node daemon ready', () => log().includes('node daemon ready'), 20_000, 20);
    const ping = await box!.exec('mco', 'ping', '-F', 'role=web', '-T', 'web').catch((err: Error) => `${err.message}\n${log()}`);
    expect(ping).toContain(NODE_ID);
    const facts = await box!.exec('mco', 'rpc', 'rpcutil', 'get_fact', 'fact=motto', '-I', NODE_ID);
    expect(facts).toContain('Value: say "hi"');

    const second = await apply('/tmp/site.pp');
    expect(second.code, second.output).toBe(0);
  }, 180_000);

  it('writes a broker configuration nats-server accepts (troupe::broker)', async () => {
    const ssl = '/root/.troupe/ssl';
    const manifest = `class { 'troupe::broker':
      listen => '127.0.0.1:4333', manage_package => false, manage_service => false,
      config_file => '/tmp/nats/troupe.conf', jetstream_dir => '/tmp/nats/js',
      tls_cert => '${ssl}/certs/${NODE_ID}.pem', tls_key => '${ssl}/private_keys/${NODE_ID}.pem', tls_ca => '${ssl}/certs/ca.pem',
    }`;
    writeFileSync(join(box!.root, 'tmp/broker.pp'), manifest);
    const applied = await apply('/tmp/broker.pp');
    expect(applied.code, applied.output).toBe(2);
    const conf = readFileSync(join(box!.root, 'tmp/nats/troupe.conf'), 'utf8');
    expect(conf).toContain('verify: true');
    // The host's nats-server checks the file, with the paths seen from outside the root.
    const hostConf = join(scratch.dir, 'troupe-broker.conf');
    writeFileSync(hostConf, conf.replaceAll('"/', `"${box!.root}/`));
    const check = spawnSync(NATS_SERVER_BIN, ['-t', '-c', hostConf], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    // TLS without its key is refused at compile time.
    writeFileSync(
      join(box!.root, 'tmp/broker-bad.pp'),
      "class { 'troupe::broker': manage_package => false, manage_service => false, tls_cert => '/x.pem' }",
    );
    const bad = await apply('/tmp/broker-bad.pp');
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('tls_cert, tls_key and tls_ca go together');
  }, 120_000);
});
