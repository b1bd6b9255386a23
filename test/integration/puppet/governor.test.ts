// runonce under a governor (plugin.puppet.governor): real node daemons on a real nats-server with JetStream, their
// puppet agent taking a slot before it starts the run and holding it until the run's process exits. The run is the
// agent's own detached run path with `plugin.puppet.command` pointed at a stand-in for Puppet that lasts until the
// test lets it finish, so the test waits on events rather than on a clock.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';

let nats: LocalNatsServer;
let client: string;
const scratch = scratchDir('troupe-puppet-governor-');
const daemons: RunningDaemon[] = [];

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 60_000 });

/** A stand-in for `puppet agent`: records that it started, runs until `<dir>/finish-<node>` exists, records its end. */
function fakePuppet(): string {
  const script = join(scratch.dir, 'fake-puppet.mjs');
  writeFileSync(
    script,
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      'const [dir, node] = process.argv.slice(2);',
      'writeFileSync(`${dir}/started-${node}`, String(Date.now()));',
      'const tick = setInterval(() => {',
      '  if (!existsSync(`${dir}/finish-${node}`)) return;',
      '  clearInterval(tick);',
      '  writeFileSync(`${dir}/ended-${node}`, String(Date.now()));',
      '}, 50);',
      '',
    ].join('\n'),
  );
  return script;
}

async function node(name: string, script: string): Promise<string> {
  const identity = `${name}.example.net`;
  const dir = join(scratch.dir, name);
  const log = join(scratch.dir, `${name}.log`);
  const file = (f: string) => join(dir, f);
  const cfg = scratch.file(
    `${name}.cfg`,
    [
      `identity = ${identity}`,
      `middleware_hosts = ${nats.url}`,
      'securityprovider = insecure',
      'plugin.actionpolicy.allow_unconfigured = 1',
      'registerinterval = 0',
      `logfile = ${log}`,
      `plugin.puppet.command = ${process.execPath} ${script} ${scratch.dir} ${name}`,
      'plugin.puppet.splay = false',
      'plugin.puppet.signal_daemon = false',
      `plugin.puppet.agent_disabled_lockfile = ${file('disabled.lock')}`,
      `plugin.puppet.agent_catalog_run_lockfile = ${file('run.lock')}`,
      `plugin.puppet.pidfile = ${file('agent.pid')}`,
      `plugin.puppet.lastrunfile = ${file('last_run_summary.yaml')}`,
      `plugin.puppet.lastrunreport = ${file('last_run_report.yaml')}`,
      `plugin.puppet.resourcefile = ${file('resources.txt')}`,
      `plugin.puppet.runonce_lockfile = ${file('runonce.lock')}`,
      'plugin.puppet.governor = PUPPET',
      'plugin.puppet.governor_max_wait = 1',
      '',
    ].join('\n'),
  );
  const d = await startDaemon(cfg, log);
  daemons.push(d);
  await d.waitForLog((l) => l.msg === 'node daemon ready');
  return identity;
}

async function runonce(identity: string): Promise<{ statuscode: number; statusmsg: string }> {
  const r = await mco('rpc', 'puppet', 'runonce', 'force=true', '-I', identity, '--json');
  const replies = (JSON.parse(r.stdout) as { replies: Array<{ sender: string; statuscode: number; statusmsg: string }> }).replies;
  expect(
    replies.map((x) => x.sender),
    r.stderr,
  ).toEqual([identity]);
  return replies[0]!;
}

async function slots(): Promise<string[]> {
  const r = await mco('governor', 'view', 'PUPPET', '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { slots: Array<{ holder: string }> }).slots.map((s) => s.holder);
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  client = clientConfigFor(nats.url, { discovery_timeout: 1 });
}, 60_000);

afterAll(async () => {
  for (const name of ['web1', 'web2']) writeFileSync(join(scratch.dir, `finish-${name}`), '');
  await Promise.all(daemons.map((d) => d.stop()));
  await nats?.stop();
  scratch.cleanup();
});

describe('puppet runonce under a governor', () => {
  it('takes a slot before starting Puppet, holds it for the run, and refuses a run when none is free', async () => {
    const script = fakePuppet();
    const [web1, web2] = await Promise.all([node('web1', script), node('web2', script)]);

    // Without the governor the run is refused: a governed node never runs Puppet ungoverned.
    const missing = await runonce(web1);
    expect(missing.statuscode).toBe(1);
    expect(missing.statusmsg).toContain("Could not take a slot on governor 'PUPPET': there is no governor 'PUPPET'");
    expect(existsSync(join(scratch.dir, 'started-web1'))).toBe(false);

    expect((await mco('governor', 'add', 'PUPPET', '1', '1m')).code).toBe(0);
    const first = await runonce(web1);
    expect(first.statuscode, first.statusmsg).toBe(0);
    expect(first.statusmsg).toBe('OK');
    await until('web1 starts its run', () => existsSync(join(scratch.dir, 'started-web1')));
    expect(await slots()).toEqual([web1]);

    // The only slot is web1's for as long as its run lasts: web2's run is refused after its bounded wait.
    const refused = await runonce(web2);
    expect(refused.statuscode).toBe(1);
    expect(refused.statusmsg).toBe("Puppet run refused: no slot came free on governor 'PUPPET' within 1s (capacity 1, all held)");
    expect(existsSync(join(scratch.dir, 'started-web2'))).toBe(false);

    // web1's run ends; the daemon sees its process go and gives the slot back; web2 may run now.
    writeFileSync(join(scratch.dir, 'finish-web1'), '');
    await until('web1 gives its slot back', async () => (await slots()).length === 0);
    expect(existsSync(join(scratch.dir, 'ended-web1'))).toBe(true);
    const second = await runonce(web2);
    expect(second.statuscode, second.statusmsg).toBe(0);
    await until('web2 starts its run', () => existsSync(join(scratch.dir, 'started-web2')));
    expect(await slots()).toEqual([web2]);
    writeFileSync(join(scratch.dir, 'finish-web2'), '');
    await until('web2 gives its slot back', async () => (await slots()).length === 0);
  }, 180_000);
});
