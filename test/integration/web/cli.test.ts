// `mco web user add|passwd|rm` and `mco web` as an operator runs them: real processes, a real users file, a real
// broker; the password from standard input, never from the command line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { MCO, runMco, scratchDir, type Scratch } from '../../helpers/mco.js';
import { WebClient } from './http.js';

let scratch: Scratch;
let cfg: string;
let broker: LocalNatsServer;
let web: ChildProcess | undefined;

const users = () =>
  YAML.parse(readFileSync(`${scratch.dir}/web-users.yaml`, 'utf8')) as { users: Record<string, { hash: string; roles: string[] }> };
const user = (args: string[], input?: string) => runMco(['web', 'user', ...args, '-c', cfg], { input });

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  scratch = scratchDir('troupe-web-cli-');
  cfg = scratch.config('client.cfg', { middleware_hosts: broker.url, securityprovider: 'insecure', 'web.port': 0 });
  scratch.file('web-roles.yaml', 'roles:\n  admin:\n    actions: ["*"]\n');
});

afterAll(async () => {
  if (web && web.exitCode === null) web.kill('SIGKILL');
  await broker?.stop();
  scratch?.cleanup();
});

describe('mco web user', () => {
  it('adds a user with a scrypt hash from a password on standard input, in a file only its owner reads', async () => {
    const r = await user(['add', 'alice', '--role', 'admin', '--password-stdin'], 'alice-password\n');
    expect([r.code, r.stdout.trim()]).toEqual([0, `added user alice in ${scratch.dir}/web-users.yaml`]);
    expect(users().users.alice).toMatchObject({ roles: ['admin'], hash: expect.stringMatching(/^scrypt\$/) as unknown });
    expect(readFileSync(`${scratch.dir}/web-users.yaml`, 'utf8')).not.toContain('alice-password');
    expect(statSync(`${scratch.dir}/web-users.yaml`).mode & 0o077).toBe(0);
  });

  it('refuses a second add, a short password, a missing user and a bad name; asks on a terminal only', async () => {
    expect((await user(['add', 'alice', '--password-stdin'], 'another-password\n')).stderr).toMatch(/user 'alice' exists/);
    expect((await user(['passwd', 'alice', '--password-stdin'], 'short\n')).stderr).toMatch(/at least 8 characters/);
    expect((await user(['passwd', 'nobody', '--password-stdin'], 'long-enough\n')).stderr).toMatch(/no user 'nobody'/);
    expect((await user(['add', 'bad name', '--password-stdin'], 'long-enough\n')).stderr).toMatch(/user name/);
    const tty = await user(['add', 'bob']);
    expect([tty.code, tty.stderr]).toEqual([1, expect.stringMatching(/no terminal.*\n.*--password-stdin/) as unknown]);
  });

  it('changes a password (the old one stops working) and removes a user', async () => {
    const before = users().users.alice!.hash;
    expect((await user(['passwd', 'alice', '--password-stdin'], 'alice-password-2\n')).code).toBe(0);
    expect(users().users.alice!.hash).not.toBe(before);
    expect(users().users.alice!.roles).toEqual(['admin']);
    expect((await user(['add', 'carol', '--password-stdin'], 'carol-password\n')).code).toBe(0);
    expect((await user(['rm', 'carol'])).code).toBe(0);
    expect(Object.keys(users().users)).toEqual(['alice']);
  });
});

describe('mco web user -c FILE', () => {
  it("writes the users file FILE's web.users_file names, whichever way -c is given and wherever mco runs", async () => {
    // The config and the users file in directories of their own, mco run from a third: no default can stand in.
    for (const d of ['conf', 'named', 'elsewhere']) mkdirSync(`${scratch.dir}/${d}`, { recursive: true });
    const named = `${scratch.dir}/named/people.yaml`;
    const conf = scratch.file('conf/client.cfg', `securityprovider = insecure\nweb.users_file = ${named}\n`);
    const cwd = `${scratch.dir}/elsewhere`;
    const people = () => Object.keys((YAML.parse(readFileSync(named, 'utf8')) as { users: Record<string, unknown> }).users).sort();
    const run = (args: string[], input = 'long-enough-password\n') => runMco(args, { input, cwd });
    expect((await run(['web', 'user', 'add', 'dora', '--password-stdin', '-c', conf])).stdout).toBe(`added user dora in ${named}\n`);
    expect((await run(['web', 'user', 'add', 'eve', '--password-stdin', '--config', conf])).code).toBe(0);
    expect((await run(['web', 'user', 'add', 'finn', '--password-stdin', `--config=${conf}`])).code).toBe(0);
    expect((await run(['web', '-c', conf, 'user', 'add', 'gus', '--password-stdin'])).code).toBe(0);
    expect(people()).toEqual(['dora', 'eve', 'finn', 'gus']);
    const before = readFileSync(named, 'utf8');
    expect((await run(['web', 'user', 'passwd', 'dora', '--password-stdin', '-c', conf], 'another-password\n')).code).toBe(0);
    expect(readFileSync(named, 'utf8')).not.toBe(before);
    expect((await run(['web', 'user', 'rm', 'eve', '--config', conf])).stdout).toBe(`removed user eve from ${named}\n`);
    expect(people()).toEqual(['dora', 'finn', 'gus']);
    // Nothing went to the defaults: beside the config, or in the directory mco ran in.
    expect(existsSync(`${scratch.dir}/conf/web-users.yaml`)).toBe(false);
    expect(existsSync(`${cwd}/web-users.yaml`)).toBe(false);
  });
});

describe('mco web', () => {
  it('refuses plain HTTP on an address other than loopback', async () => {
    const r = await runMco(['web', '-c', cfg, '--insecure-http', '--listen', '0.0.0.0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plain HTTP is only served on a loopback address/);
  });

  it('serves the API on loopback HTTP when asked, lets the users in, and stops on SIGTERM', async () => {
    web = spawn(process.execPath, [MCO, 'web', '-c', cfg, '--insecure-http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      web!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /mco web listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      web!.once('exit', (code) => reject(new Error(`mco web exited ${code}`)));
    });
    const c = new WebClient(url);
    expect((await c.login('alice', 'alice-password')).status).toBe(401);
    expect((await c.login('alice', 'alice-password-2')).status).toBe(200);
    expect((await c.get('/api/session')).status).toBe(200);
    // A new password ends the sessions the old one opened.
    expect((await user(['passwd', 'alice', '--password-stdin'], 'alice-password-3\n')).code).toBe(0);
    expect((await c.get('/api/session')).status).toBe(401);
    expect((await c.login('alice', 'alice-password-3')).status).toBe(200);
    // A deep link gets the browser app that npm run build made, so job URLs can be shared.
    const page = await fetch(url + '/jobs/x');
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="app">/);
    const exited = new Promise<number | null>((resolve) => web!.once('exit', resolve));
    web.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
