// `factsource = facter, yaml` on a real daemon with the real Facter: its facts in inventory, filters and the registry,
// a custom external fact (facts.d) and a FACTER_ variable, the fact files winning, and SIGHUP running Facter again.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { clientConfig, lines } from './fleet.js';

const IDENTITY = 'facter1.example.net';
const scratch = scratchDir('troupe-facter-daemon-');
const factsDir = join(scratch.dir, 'facts.d');
let broker: LocalNatsServer | undefined;
let daemon: RunningDaemon | undefined;
let config: string;

const mco = (args: string[]) => runMco([...args, '--config', config]);
const facterReads = () => daemon!.log().filter((l) => l.msg === 'facter facts read').length;

interface InventoryJson {
  inventory: { facts: Record<string, unknown> };
}

async function factOf(fact: string): Promise<unknown> {
  const r = await mco(['rpc', 'rpcutil', 'get_fact', `fact=${fact}`, '-I', IDENTITY, '--json']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return parseAs<ReportJson<{ value: unknown }>>(r.stdout).replies[0]!.data.value;
}

beforeAll(async () => {
  if (spawnSync('facter', ['--version']).status !== 0) throw new Error('this test needs Facter on PATH (it comes with puppet-agent)');
  mkdirSync(factsDir);
  writeFileSync(join(factsDir, 'site.txt'), 'troupe_site=ams1\n');
  broker = await startNatsServer({ jetstream: true });
  config = clientConfig(scratch, broker.url);
  const log = join(scratch.dir, 'daemon.log');
  const cfg = scratch.config('server.cfg', {
    identity: IDENTITY,
    middleware_hosts: broker.url,
    securityprovider: 'insecure',
    factsource: 'facter, yaml',
    'plugin.yaml': scratch.file('facts.yaml', 'role: web\nkernel: FromFile\n'),
    classesfile: join(scratch.dir, 'classes.txt'),
    // Without -p: Puppet's settings would replace --external-dir with its own pluginfactdest (under /var).
    'plugin.facts.facter_command': `facter --json --external-dir ${factsDir}`,
    'plugin.facts.facter_interval': 0,
    registration_splay: 0,
    logfile: log,
    loglevel: 'info',
  });
  daemon = await startDaemon(cfg, log, { ...process.env, FACTER_troupe_from_env: 'yes' });
  await daemon.waitForLog((l) => l.msg === 'facter facts read', 30_000);
});

afterAll(async () => {
  await daemon?.stop();
  await broker?.stop();
  scratch.cleanup();
});

describe('the facter fact source on a real daemon', () => {
  it("is ready before Facter has answered, and inventory then shows Facter's structured facts, external facts and the files' facts on top", async () => {
    expect(daemon!.log().findIndex((l) => l.msg === 'node daemon ready')).toBeLessThan(
      daemon!.log().findIndex((l) => l.msg === 'facter facts read'),
    );
    const r = await mco(['inventory', IDENTITY, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const facts = parseAs<InventoryJson>(r.stdout).inventory.facts;
    expect((facts.os as Record<string, unknown>).family).toBe('Debian');
    expect(typeof (facts.networking as Record<string, unknown>).fqdn).toBe('string');
    expect((facts.processors as Record<string, unknown>).count).toBeGreaterThan(0);
    expect(facts.troupe_site).toBe('ams1');
    expect(facts.troupe_from_env).toBe('yes');
    expect(facts.role).toBe('web');
    expect(facts.kernel).toBe('FromFile');
    const text = await mco(['inventory', IDENTITY]);
    expect(text.stdout).toMatch(/^\s+os\.family => Debian$/m);
    expect(text.stdout).toMatch(/^\s+troupe_site => ams1$/m);
  });

  it('answers fact filters on dotted structured facts, and the registry has them', async () => {
    const fqdn = (await factOf('networking.fqdn')) as string;
    const [debian, redhat, byFqdn] = await Promise.all([
      mco(['rpc', 'rpcutil', 'ping', '-F', 'os.family=Debian', '--json']),
      mco(['rpc', 'rpcutil', 'ping', '-F', 'os.family=RedHat', '--dt', '0.5']),
      mco(['find', '-F', `networking.fqdn=${fqdn}`, '-F', 'processors.count>=1', '-F', 'troupe_site=ams1']),
    ]);
    expect(debian.code, debian.stderr).toBe(0);
    expect(parseAs<ReportJson>(debian.stdout).replies.map((x) => x.sender)).toEqual([IDENTITY]);
    expect(redhat.code).toBe(1);
    expect(lines(byFqdn.stdout)).toEqual([IDENTITY]);
    await waitFor(
      'the registry to hold the Facter facts',
      async () =>
        lines((await mco(['find', '--dm', 'registry', '-F', 'os.family=Debian', '-F', 'troupe_site=ams1'])).stdout).includes(IDENTITY),
      15_000,
      200,
    );
  });

  it('SIGHUP runs Facter again: a changed external fact is answered, and the Facter facts are never lost meanwhile', async () => {
    const before = facterReads();
    writeFileSync(join(factsDir, 'site.txt'), 'troupe_site=fra1\n');
    daemon!.child.kill('SIGHUP');
    await daemon!.waitForLog((l) => l.msg === 'reloading configuration');
    // The rebuilt daemon starts from the facts Facter gave before, not from the files alone.
    await waitFor('the daemon to be ready again', () => daemon!.log().filter((x) => x.msg === 'node daemon ready').length > 1, 15_000, 25);
    // Whether or not Facter has answered yet, the Facter facts are there: the old ones or the new.
    expect(['ams1', 'fra1']).toContain(await factOf('troupe_site'));
    await waitFor('Facter to run again', () => facterReads() > before, 30_000, 50);
    expect(await factOf('troupe_site')).toBe('fra1');
    expect(await factOf('os.family')).toBe('Debian');
    expect(daemon!.child.exitCode).toBeNull();
  });
});
