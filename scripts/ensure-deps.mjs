#!/usr/bin/env node
// Installs what a fresh clone lacks before build, test, demo or bench:
// npm packages (when node_modules is missing or older than the lock file)
// and the system packages the tests and demo drive (nats-server, Puppet,
// RabbitMQ, Chromium for the web console's browser tests, and dnsmasq, the DNS server the SRV tests ask).
// `--for demo` installs only what the demo uses: the npm packages and nats-server.
// `--list` prints the Debian packages the purpose needs, one a line, and installs nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.env.TROUPE_SETUP_QUIET === '1';
const say = (msg) => {
  if (!quiet) process.stderr.write(`setup: ${msg}\n`);
};

function npmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm packages (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0 || existsSync(`/usr/sbin/${cmd}`);
}

function debianPackages(wanted) {
  const missing = wanted.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}: install with 'sudo apt-get install ${missing.join(' ')}'`);
  }
  say(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env });
}

/** [command, Debian package] each purpose needs; build, test and bench (no --for) need every one. */
const NATS = ['nats-server', 'nats-server'];
const ALL = [NATS, ['puppet', 'puppet-agent'], ['rabbitmq-server', 'rabbitmq-server'], ['chromium', 'chromium'], ['dnsmasq', 'dnsmasq']];
const NEEDS = { all: ALL, demo: [NATS] };

const at = process.argv.indexOf('--for');
const purpose = at === -1 ? 'all' : process.argv[at + 1];
if (!Object.hasOwn(NEEDS, purpose)) {
  process.stderr.write(`setup: --for takes one of ${Object.keys(NEEDS).join(', ')}, not ${purpose ?? 'nothing'}\n`);
  process.exit(2);
}

if (process.argv.includes('--list')) {
  process.stdout.write(NEEDS[purpose].map(([, pkg]) => `${pkg}\n`).join(''));
  process.exit(0);
}

try {
  npmPackages();
  debianPackages(NEEDS[purpose]);
} catch (err) {
  process.stderr.write(`setup failed: ${err.message}\n`);
  process.exit(1);
}
