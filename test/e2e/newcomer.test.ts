// A new user's first minutes with a checkout: `mco` before a build says what to run, `mco` through a symlink (what
// `npm link` makes) works, and the setup script installs for the demo only what the demo uses.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MCO, ROOT, scratchDir } from '../helpers/mco.js';

const scratch = scratchDir('troupe-newcomer-');
afterAll(() => scratch.cleanup());

const node = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });

describe('the mco command of a checkout', () => {
  it('before a build, says in one line to run npm run build, and exits 1', () => {
    // A checkout without dist/: the package's bin/mco.js alone.
    mkdirSync(join(scratch.dir, 'unbuilt', 'bin'), { recursive: true });
    const bin = join(scratch.dir, 'unbuilt', 'bin', 'mco.js');
    copyFileSync(MCO, bin);
    const r = node([bin, 'ping']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(r.stderr.trim().split('\n')).toEqual([`mco: troupe is not built: run 'npm run build' in ${join(scratch.dir, 'unbuilt')}/`]);
  });

  it('runs through a symlink on the PATH, as npm link installs it', () => {
    const link = join(scratch.dir, 'mco');
    symlinkSync(MCO, link);
    const r = spawnSync(link, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('scripts/ensure-deps.mjs', () => {
  const setup = join(ROOT, 'scripts', 'ensure-deps.mjs');

  it('needs only nats-server for the demo', () => {
    const r = node([setup, '--for', 'demo', '--list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('nats-server\n');
  });

  it('needs every system package for build and test', () => {
    const r = node([setup, '--list']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['nats-server', 'puppet-agent', 'rabbitmq-server', 'chromium', 'dnsmasq']);
  });

  it('refuses a purpose it does not know', () => {
    const r = node([setup, '--for', 'everything', '--list']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--for takes one of all, demo');
  });
});
