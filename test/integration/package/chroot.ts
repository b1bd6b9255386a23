// A pristine Debian 12 root for the package tests: debootstrapped once by scripts/package/test-rootfs.sh into
// /var/cache/troupe-test-rootfs (minbase, or with Debian's puppet-agent), copied per run into a scratch dir, with
// /proc mounted (start-stop-daemon and Facter need it) and unmounted by close().
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, type Scratch } from '../../helpers/mco.js';

const run = promisify(execFile);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Root, dpkg-deb, chroot and a host node binary to stand in for the nodejs package. */
export const CHROOT_USABLE = process.getuid?.() === 0 && has('dpkg-deb') && has('chroot') && existsSync('/usr/bin/node');
export const HAS_SYSTEMD_ANALYZE = has('systemd-analyze');

/** `npm run package` of the built tree into `dir`: the .deb's path and the builder's summary line. */
export function buildPackage(dir: string): { deb: string; summary: string } {
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/package/build.mjs'), '--no-build', '--out', dir], { encoding: 'utf8' });
  const [deb = '', summary = ''] = out.split('\n');
  return { deb: deb.trim(), summary: summary.trim() };
}

export interface TestRoot {
  root: string;
  /** Runs argv inside the root (chroot) and returns stdout + stderr; rejects on a non-zero exit. */
  exec(...argv: string[]): Promise<string>;
  /** The pid the init script recorded, when that process is alive. */
  daemonPid(): number | undefined;
  /** Stops the daemon if it runs, unmounts /proc and refuses to leave anything mounted (the scratch dir removes the tree). */
  close(): Promise<void>;
}

export function prepareRoot(scratch: Scratch, flavour: 'minbase' | 'puppet'): TestRoot {
  const script = join(ROOT, 'scripts/package/test-rootfs.sh');
  const cached = execFileSync(script, flavour === 'puppet' ? ['--with-puppet'] : [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const root = join(scratch.dir, `root-${flavour}`);
  execFileSync('cp', ['-a', cached, root]);
  execFileSync('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
  let mounted = true;

  const exec = async (...argv: string[]) => {
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root' };
    const { stdout, stderr } = await run('chroot', [root, ...argv], { env, timeout: 120_000 });
    return stdout + stderr;
  };
  const daemonPid = (): number | undefined => {
    const file = join(root, 'run/troupe/troupe.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };
  return {
    root,
    exec,
    daemonPid,
    async close() {
      if (daemonPid() !== undefined) await exec('/etc/init.d/troupe', 'stop').catch(() => undefined);
      const left = daemonPid();
      if (left !== undefined) process.kill(left, 'SIGKILL');
      if (mounted) execFileSync('umount', [join(root, 'proc')]);
      mounted = false;
      if (readFileSync('/proc/mounts', 'utf8').includes(` ${root}/`)) throw new Error(`still mounted under ${root}`);
    },
  };
}

/**
 * The package depends on `nodejs (>= 20)`, which Debian 12 lacks (it has 18; sites use NodeSource's 20.x): this
 * installs in the root a stand-in `nodejs` package made from the host's own /usr/bin/node, so dpkg's dependency
 * check on troupe stays the real one.
 */
export function nodejsStandIn(scratch: Scratch, root: string): string {
  const stub = join(scratch.dir, 'nodejs-stub');
  mkdirSync(join(stub, 'DEBIAN'), { recursive: true });
  mkdirSync(join(stub, 'usr/bin'), { recursive: true });
  cpSync('/usr/bin/node', join(stub, 'usr/bin/node'));
  chmodSync(join(stub, 'usr/bin/node'), 0o755);
  writeFileSync(
    join(stub, 'DEBIAN/control'),
    `Package: nodejs\nVersion: ${process.version.slice(1)}-troupetest\nArchitecture: amd64\nMaintainer: test <test@example.org>\n` +
      `Depends: libc6, libstdc++6, libgcc-s1\nDescription: the host's node binary, for the package test\n`,
  );
  const deb = join(root, 'tmp/nodejs.deb');
  if (!existsSync(deb)) execFileSync('dpkg-deb', ['--root-owner-group', '-Znone', '--build', stub, deb], { stdio: 'ignore' });
  return '/tmp/nodejs.deb';
}
