// The Debian package, installed into a pristine Debian 12 (bookworm, minbase) root as an administrator would:
// `dpkg -i`, the daemon started by the package's init script (systemd cannot run in a chroot; its unit is checked
// with `systemd-analyze verify` on the host), `mco ping` from the package's own /usr/bin/mco answering over a private
// nats-server on the host loopback, then `dpkg -r` keeping /etc/troupe and `dpkg -P` removing it.
//
// The root comes from scripts/package/test-rootfs.sh (debootstrap from the machine's Debian mirror, cached in
// /var/cache/troupe-test-rootfs, about 4 minutes the first time) and is copied for each run. The package depends on
// `nodejs (>= 20)`, which Debian 12 does not have (it ships 18; sites take NodeSource's): the test installs into
// the root a stand-in `nodejs` package made here from the host's own /usr/bin/node, so dpkg's dependency check is
// the real one. Needs root (chroot, mount) and dpkg-deb; skipped otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { ROOT, scratchDir, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { parseGroups, parsePolicy } from '../../../src/security/policy/parse.js';
import { buildPackage, CHROOT_USABLE, HAS_SYSTEMD_ANALYZE, nodejsStandIn, prepareRoot, type TestRoot } from './chroot.js';

const NODE_ID = 'pkgnode.example.net';
const OPERATOR = 'ops.troupe';

describe.skipIf(!CHROOT_USABLE)('the Debian package in a pristine Debian 12 root', () => {
  let scratch: Scratch;
  let box: TestRoot | undefined;
  let root = '';
  let deb = '';
  let nodejs = '';
  let nats: LocalNatsServer | undefined;
  let pki: DevPki | undefined;
  const figures: Record<string, string> = {};
  const inRoot = (...argv: string[]) => box!.exec(...argv);
  const daemonPid = () => box!.daemonPid();
  const serverLog = () =>
    existsSync(join(root, 'var/log/troupe/server.log')) ? readFileSync(join(root, 'var/log/troupe/server.log'), 'utf8') : '';

  beforeAll(async () => {
    scratch = scratchDir('troupe-pkgtest-');
    // The package from the built tree (npm run build first), as `npm run package` makes it.
    const built = buildPackage(scratch.dir);
    deb = built.deb;
    figures['package'] = built.summary;
    box = prepareRoot(scratch, 'minbase');
    root = box.root;
    nodejs = nodejsStandIn(scratch, root);
    cpSync(deb, join(root, 'tmp/troupe.deb'));
    nats = await startNatsServer();
    pki = createDevPki({ dir: join(scratch.dir, 'pki'), nodes: [NODE_ID], clients: [OPERATOR] });
  }, 600_000);

  afterAll(async () => {
    await box?.close();
    await nats?.stop();
    scratch?.cleanup();
    console.log(`package figures: ${JSON.stringify(figures, null, 2)}`);
  });

  it('installs with dpkg -i: mco on the PATH, the app under /usr/lib/troupe, the troupe user and its dirs', async () => {
    await expect(inRoot('dpkg', '-i', '/tmp/troupe.deb')).rejects.toThrow(/nodejs/); // the dependency is real
    await inRoot('dpkg', '--remove', 'troupe');
    await inRoot('dpkg', '-i', nodejs);
    const t0 = performance.now();
    await inRoot('dpkg', '-i', '/tmp/troupe.deb');
    figures['dpkg -i'] = `${Math.round(performance.now() - t0)} ms`;
    figures['Installed-Size'] = `${(await inRoot('dpkg-query', '-W', '-f', '${Installed-Size}', 'troupe')).trim()} KiB`;
    figures['du /usr/lib/troupe'] = execFileSync('du', ['-sh', join(root, 'usr/lib/troupe')], { encoding: 'utf8' }).split('\t')[0]!;

    expect((await inRoot('sh', '-c', 'command -v mco')).trim()).toBe('/usr/bin/mco');
    const t1 = performance.now();
    expect((await inRoot('mco', '--version')).trim()).toMatch(/\d+\.\d+\.\d+/);
    figures['mco --version (chroot)'] = `${Math.round(performance.now() - t1)} ms`;
    expect(await inRoot('getent', 'passwd', 'troupe')).toMatch(/^troupe:x:\d+:\d+:.*:\/var\/lib\/troupe:\/usr\/sbin\/nologin$/m);
    for (const dir of ['var/lib/troupe', 'var/log/troupe']) {
      const st = statSync(join(root, dir));
      expect(st.mode & 0o777).toBe(0o750);
      expect(st.uid).not.toBe(0);
    }
    expect((await inRoot('stat', '-c', '%U:%G %a', '/etc/troupe/server.cfg')).trim()).toBe('root:troupe 640');
    expect((await inRoot('dpkg-query', '-W', '-f', '${Conffiles}', 'troupe')).split('\n').map((l) => l.trim().split(' ')[0])).toEqual(
      expect.arrayContaining(['/etc/troupe/server.cfg', '/etc/troupe/client.cfg', '/etc/init.d/troupe', '/etc/logrotate.d/troupe']),
    );
    // Registered with the init system where systemd is absent.
    expect(readdirSync(join(root, 'etc/rc2.d')).some((f) => /^S\d\dtroupe$/.test(f))).toBe(true);
  }, 120_000);

  it('ships policy examples the daemon can read', () => {
    const dir = join(root, 'etc/troupe/policies');
    for (const name of ['default.policy.example', 'puppet.policy.example']) {
      expect(parsePolicy(readFileSync(join(dir, name), 'utf8'), name).rules.length).toBeGreaterThan(0);
    }
    expect(parseGroups(readFileSync(join(dir, 'groups.example'), 'utf8')).get('operators')?.size).toBe(2);
  });

  it('starts the daemon from the init script, and the package’s mco ping answers', async () => {
    // The node's certificate goes where the shipped server.cfg looks (plugin.security.ssldir = /etc/troupe/ssl).
    const ssl = join(root, 'etc/troupe/ssl');
    const gid = statSync(join(root, 'var/lib/troupe')).gid;
    for (const [from, to, mode] of [
      [pki!.caPath, 'certs/ca.pem', 0o644],
      [pki!.crlPath, 'crl.pem', 0o644],
      [pki!.certPath(NODE_ID), `certs/${NODE_ID}.pem`, 0o644],
      [pki!.keyPath(NODE_ID), `private_keys/${NODE_ID}.pem`, 0o640],
    ] as const) {
      mkdirSync(join(ssl, to, '..'), { recursive: true, mode: 0o750 });
      chownSync(join(ssl, to, '..'), 0, gid);
      cpSync(from, join(ssl, to));
      chmodSync(join(ssl, to), mode);
      chownSync(join(ssl, to), 0, gid);
    }
    // The shipped server.cfg with the two lines every site adds.
    const cfg = join(root, 'etc/troupe/server.cfg');
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + configText({ identity: NODE_ID, middleware_hosts: `nats://127.0.0.1:${nats!.port}` }));
    // The operator, as root in the same root, with the CLI's own certificate.
    cpSync(pki!.ssldir, join(root, 'root/.troupe/ssl'), { recursive: true });
    writeFileSync(
      join(root, 'root/.troupe/client.cfg'),
      configText({
        ...pki!.clientConfig(OPERATOR),
        'plugin.security.ssldir': '/root/.troupe/ssl',
        middleware_hosts: `nats://127.0.0.1:${nats!.port}`,
      }),
    );

    const t0 = performance.now();
    await inRoot('/etc/init.d/troupe', 'start');
    await waitFor('node daemon ready in /var/log/troupe/server.log', () => serverLog().includes('node daemon ready'), 20_000, 20);
    figures['init start → daemon ready'] = `${Math.round(performance.now() - t0)} ms`;
    const pid = daemonPid();
    expect(pid).toBeDefined();
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+(\d+)/m);
    expect(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])).toBe(statSync(join(root, 'var/lib/troupe')).uid);
    expect(await inRoot('/etc/init.d/troupe', 'status')).toMatch(/running/);

    const t1 = performance.now();
    const ping = await inRoot('mco', 'ping');
    figures['mco ping (1 node, chroot)'] = `${Math.round(performance.now() - t1)} ms`;
    expect(ping).toContain(NODE_ID);
    expect(ping).toMatch(/1 replies/);
  });

  it('reloads on SIGHUP through the init script, and stops', async () => {
    await inRoot('/etc/init.d/troupe', 'reload');
    await waitFor('the reload in the log', () => serverLog().includes('reloading configuration'), 10_000, 20);
    await waitFor('the daemon ready again', () => serverLog().split('node daemon ready').length > 2, 10_000, 20);
    expect(await inRoot('mco', 'ping')).toContain(NODE_ID);
    await inRoot('/etc/init.d/troupe', 'stop');
    expect(daemonPid()).toBeUndefined();
    expect(serverLog()).toContain('node daemon stopped');
  });

  it('dpkg -r keeps /etc/troupe; dpkg -P removes it and the daemon’s directories', async () => {
    await inRoot('dpkg', '-r', 'troupe');
    expect(existsSync(join(root, 'usr/bin/mco'))).toBe(false);
    expect(existsSync(join(root, 'usr/lib/troupe'))).toBe(false);
    expect(existsSync(join(root, 'etc/troupe/server.cfg'))).toBe(true);
    expect(existsSync(join(root, 'etc/troupe/client.cfg'))).toBe(true);
    expect(existsSync(join(root, 'etc/init.d/troupe'))).toBe(true);
    await inRoot('dpkg', '-P', 'troupe');
    for (const gone of ['etc/troupe', 'var/lib/troupe', 'var/log/troupe', 'etc/init.d/troupe', 'etc/logrotate.d/troupe']) {
      expect(existsSync(join(root, gone)), gone).toBe(false);
    }
    expect(readdirSync(join(root, 'etc/rc2.d')).some((f) => f.endsWith('troupe'))).toBe(false);
    expect(await inRoot('sh', '-c', 'dpkg-statoverride --list || true')).not.toContain('/etc/troupe');
  }, 60_000);

  it('carries every run-time file of the build (dist/src without type declarations and maps)', () => {
    const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const shipped = new Set(
      listing
        .split('\n')
        .map((l) => /\.\/usr\/lib\/troupe\/(dist\/src\/\S+)$/.exec(l)?.[1])
        .filter((f) => f !== undefined),
    );
    const built = (readdirSync(join(ROOT, 'dist/src'), { recursive: true }) as string[])
      .filter((f) => statSync(join(ROOT, 'dist/src', f)).isFile() && !/\.(d\.ts|map)$/.test(f))
      .map((f) => `dist/src/${f}`);
    expect(built.length).toBeGreaterThan(100);
    expect(built.filter((f) => !shipped.has(f))).toEqual([]);
  });

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('has a systemd unit that systemd-analyze verify accepts', () => {
    const x = join(scratch.dir, 'extracted');
    execFileSync('dpkg-deb', ['-x', deb, x]);
    const unit = readFileSync(join(x, 'lib/systemd/system/troupe.service'), 'utf8');
    for (const line of ['User=troupe', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/troupe /var/log/troupe']) {
      expect(unit).toContain(line);
    }
    for (const line of [
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'CapabilityBoundingSet=\n',
      'Restart=on-failure',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      expect(unit).toContain(line);
    }
    // Verified on the host with ExecStart pointing into the extracted package, since mco is not installed here.
    const local = join(scratch.dir, 'troupe.service');
    writeFileSync(local, unit.replace('/usr/bin/mco', join(x, 'usr/bin/mco')));
    const verify = spawnSync('systemd-analyze', ['verify', local], { encoding: 'utf8' });
    expect(verify.stderr.trim()).toBe('');
    expect(verify.status).toBe(0);
  });

  it.skipIf(!existsSync('/usr/sbin/logrotate'))('has a logrotate config logrotate reads', () => {
    const x = join(scratch.dir, 'extracted-lr');
    execFileSync('dpkg-deb', ['-x', deb, x]);
    // The host has no troupe user: the same file with root for the rotation's owner.
    const conf = join(scratch.dir, 'troupe.logrotate');
    writeFileSync(conf, readFileSync(join(x, 'etc/logrotate.d/troupe'), 'utf8').replace('su troupe troupe', 'su root root'));
    const check = spawnSync('/usr/sbin/logrotate', ['-d', '-s', join(scratch.dir, 'lr.state'), conf], { encoding: 'utf8' });
    expect(check.stderr).not.toMatch(/^error:/m);
    expect(check.status).toBe(0);
  });
});
