// `mco puppet resource` tried as an attacker would, against a real `mco server run` daemon running as this user
// (root on CI) with real `puppet apply`: parameters that run commands, fetch files or rename the resource, names
// spelled to slip past the blacklist and the managed-resource check, and a symlinked parent directory. Each attempt
// must be refused before Puppet runs, and leave the files it aimed at as they were. Masterless runs must reach git
// for their config_version without a shell in between.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs } from '../../helpers/json.js';
import { clientConfigFor, runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import {
  gitRemote,
  masterlessNode,
  requirePuppet,
  waitForQuiet,
  withExplicitPaths,
  type PuppetNode,
  type PuppetRunsJson,
} from './nodes.js';

const IDENTITY = 'node1.example.net';
const scratch = scratchDir('troupe-puppet-resource-');
const protectedDir = join(scratch.dir, 'protected');
const secret = join(protectedDir, 'secret');
const publicDir = join(scratch.dir, 'public');
const door = join(publicDir, 'door');
const pwned = join(scratch.dir, 'pwned');
const gitCalls = join(scratch.dir, 'git-calls.jsonl');

let nats: LocalNatsServer;
let daemon: RunningDaemon;
let client: string;
let node: PuppetNode;
let commit: string;

/** A `git` first on the daemon's PATH that notes each call, and whether a shell started it (a shell exports PWD). */
function gitRecorder(dir: string, realGit: string): void {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'git');
  writeFileSync(
    script,
    [
      `#!${process.execPath}`,
      "const { appendFileSync } = require('node:fs');",
      "const { spawnSync } = require('node:child_process');",
      `appendFileSync(${JSON.stringify(gitCalls)}, JSON.stringify({ args: process.argv.slice(2), pwd: process.env.PWD ?? null }) + '\\n');`,
      `const r = spawnSync(${JSON.stringify(realGit)}, process.argv.slice(2), { stdio: 'inherit' });`,
      'process.exit(r.status ?? 1);',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
}

beforeAll(async () => {
  requirePuppet();
  nats = await startNatsServer();
  mkdirSync(protectedDir);
  mkdirSync(publicDir);
  writeFileSync(secret, 'original\n');
  symlinkSync(protectedDir, door);

  const repo = gitRemote(scratch.dir);
  commit = repo.commit('main', { 'manifests/site.pp': 'file { "${settings::vardir}/deployed.txt": content => "deployed\\n" }\n' }, 'site');
  node = withExplicitPaths(
    masterlessNode(scratch.dir, IDENTITY, repo.remote, 'main', {
      // Blacklist mode: every type but package may be asked for, as MCollective allows.
      'plugin.puppet.resource_type_blacklist': 'package',
      'plugin.puppet.resource_name_blacklist.file': secret,
    }),
  );
  const logFile = join(scratch.dir, 'daemon.log');
  const config = scratch.file(
    'server.cfg',
    [
      `identity = ${IDENTITY}`,
      `middleware_hosts = ${nats.url}`,
      'securityprovider = insecure',
      'plugin.actionpolicy.allow_unconfigured = 1',
      `logfile = ${logFile}`,
      'loglevel = info',
      ...Object.entries(node.settings).map(([k, v]) => `${k} = ${v}`),
      '',
    ].join('\n'),
  );
  const bin = join(scratch.dir, 'bin');
  gitRecorder(bin, '/usr/bin/git');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  delete env.PWD;
  daemon = await startDaemon(config, logFile, env);
  client = clientConfigFor(nats.url, { discovery_timeout: 1 });
}, 60_000);

// Each attempt starts from an untouched target, so one that got through cannot make the next look refused or not.
beforeEach(() => {
  writeFileSync(secret, 'original\n');
  rmSync(pwned, { force: true });
});

afterAll(async () => {
  if (node) await waitForQuiet([node]);
  await daemon?.stop();
  await nats?.stop();
  scratch.cleanup();
});

interface Reply {
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

async function resource(type: string, name: string, ...params: string[]): Promise<Reply> {
  const r = await runMco(['puppet', 'resource', type, name, ...params, '--json', '-I', IDENTITY, '-c', client], { timeoutMs: 90_000 });
  const replies = parseAs<{ replies: Reply[] }>(r.stdout).replies;
  expect(replies, r.stdout + r.stderr).toHaveLength(1);
  return replies[0]!;
}

const secretIntact = () => expect(readFileSync(secret, 'utf8')).toBe('original\n');

describe('mco puppet resource against a real daemon and real Puppet', () => {
  it('applies an allowed file resource', async () => {
    const motd = join(publicDir, 'motd');
    const reply = await resource('file', motd, 'ensure=file', 'content=hello from troupe', 'mode=0640');
    expect(reply, reply.statusmsg).toMatchObject({ statuscode: 0, data: { changed: true } });
    expect(readFileSync(motd, 'utf8')).toBe('hello from troupe');
    expect(statSync(motd).mode & 0o777).toBe(0o640);
  }, 90_000);

  it('refuses validate_cmd, which would run a command as the daemon user', async () => {
    const target = join(publicDir, 'validated');
    const reply = await resource('file', target, 'ensure=file', 'content=x', `validate_cmd=/bin/sh -c "id > ${pwned}" %`);
    expect(existsSync(pwned), 'the command ran').toBe(false);
    expect(existsSync(target)).toBe(false);
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toBe(
      "The file parameter 'validate_cmd' is not allowed: plugin.puppet.resource_allow_params.file allows only ensure, owner, group, mode, content",
    );
  }, 90_000);

  it('refuses the exec type even where the type blacklist does not name it', async () => {
    const reply = await resource('exec', `/bin/sh -c "id > ${pwned}"`);
    expect(existsSync(pwned), 'the command ran').toBe(false);
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toBe('The exec type runs commands and is never allowed');
  }, 90_000);

  it('refuses a type without a parameter allow-list, even with no parameters: a bare tidy deletes its file', async () => {
    const victim = join(publicDir, 'victim');
    writeFileSync(victim, 'keep me\n');
    const reply = await resource('tidy', victim);
    expect(existsSync(victim), 'tidy deleted the file').toBe(true);
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toContain('The tidy type has no parameter allow-list: plugin.puppet.resource_allow_params.tidy must name');
  }, 90_000);

  it('refuses source, which would copy a blacklisted file somewhere readable', async () => {
    const copy = join(publicDir, 'copy');
    const reply = await resource('file', copy, 'ensure=file', `source=${secret}`);
    expect(existsSync(copy), 'the secret was copied').toBe(false);
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toContain("parameter 'source' is not allowed");
  }, 90_000);

  it('refuses path, which would point an innocent title at a blacklisted file', async () => {
    const reply = await resource('file', join(publicDir, 'decoy'), 'ensure=file', 'content=pwned', `path=${secret}`);
    secretIntact();
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toContain("parameter 'path' is not allowed");
  }, 90_000);

  it('refuses metaparameters', async () => {
    const reply = await resource('file', join(publicDir, 'meta'), 'ensure=file', 'content=x', 'loglevel=debug');
    expect(existsSync(join(publicDir, 'meta'))).toBe(false);
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toBe("The parameter 'loglevel' is a metaparameter, which resource never allows");
  }, 90_000);

  it.each([
    ['a dot segment', `${protectedDir}/./secret`],
    ['a doubled slash', `${protectedDir}//secret`],
    ['a trailing slash', `${secret}/`],
    ['a capitalised type', secret, 'File'],
  ])(
    'refuses a blacklisted file named with %s',
    async (_how, name, type = 'file') => {
      const reply = await resource(type, name, 'ensure=file', 'content=pwned');
      secretIntact();
      expect(reply.statuscode).toBe(1);
      expect(reply.statusmsg).toBe(`The ${secret} name is listed in the name blacklist`);
    },
    90_000,
  );

  it('refuses .. segments, whose meaning depends on symbolic links', async () => {
    const reply = await resource('file', join(publicDir, 'sub') + '/../../protected/secret', 'ensure=file', 'content=pwned');
    secretIntact();
    expect(reply.statuscode).toBe(4);
    expect(reply.statusmsg).toContain("may not contain '..'");
  }, 90_000);

  it('refuses a blacklisted file reached through a symlinked parent directory', async () => {
    const reply = await resource('file', join(door, 'secret'), 'ensure=file', 'content=pwned');
    secretIntact();
    expect(reply.statuscode).toBe(1);
    expect(reply.statusmsg).toBe(`The ${join(door, 'secret')} name resolves to ${secret}, which is listed in the name blacklist`);
  }, 90_000);
});

describe('masterless runs and resource against what Puppet manages', () => {
  it('runs config_version through git with no shell, and reports the commit', async () => {
    const r = await runMco(['puppet', 'runonce', '--force', '--revision', 'main', '--wait', '--json', '-I', IDENTITY, '-c', client], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(parseAs<PuppetRunsJson>(r.stdout).runs[0]).toMatchObject({ ok: true, config_version: commit });
    const calls = readFileSync(gitCalls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { args: string[]; pwd: string | null });
    const versionCalls = calls.filter((c) => c.args.join(' ').endsWith('rev-parse HEAD'));
    expect(versionCalls.length).toBeGreaterThan(0);
    for (const call of versionCalls)
      expect(call, 'git was started by a shell').toEqual({ args: ['-C', join(node.dir, 'code'), 'rev-parse', 'HEAD'], pwd: null });
  }, 120_000);

  it.each([
    ['as Puppet names it', ''],
    ['with a dot segment', '/.'],
    ['with a doubled slash', '/'],
  ])(
    'refuses a managed file named %s',
    async (_how, infix) => {
      const deployed = join(node.vardir, 'deployed.txt');
      const reply = await resource('file', `${node.vardir}${infix}/deployed.txt`, 'ensure=absent');
      expect(existsSync(deployed), 'the managed file was removed').toBe(true);
      expect(reply.statuscode).toBe(1);
      expect(reply.statusmsg).toBe(`Puppet is managing the resource 'File[${deployed}]', refusing to create conflicting states`);
    },
    90_000,
  );
});
