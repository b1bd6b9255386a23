// `mco server run --config FILE`: fact files (YAML + JSON merged), classes file, fact reloads, SIGHUP, SIGTERM.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { clientConfig, lines } from './fleet.js';

let broker: LocalNatsServer;
let config: string;
const scratch = scratchDir();
const running: RunningDaemon[] = [];

beforeAll(async () => {
  broker = await startNatsServer();
  config = clientConfig(scratch, broker.url, { collectives: 'mcollective,dev' });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop('SIGKILL')));
});

afterAll(async () => {
  await broker?.stop();
  scratch.cleanup();
});

const mco = (args: string[]) => runMco([...args, '--config', config]);

/** Writes a node's fact files, classes file and config under a name of its own (or reads `yaml`), and starts it. */
async function daemon(name: string, extra: string[] = [], sharedYaml?: string) {
  const file = (f: string, content: string) => scratch.file(`${name}-${f}`, content);
  const facts = 'os:\n  family: Debian\n  release:\n    major: "12"\nrole: web\ncpus: 8\nnetworking:\n  interfaces: [eth0, eth1]\n';
  const yaml = sharedYaml ?? file('facts.yaml', facts);
  const json = file('facts.json', JSON.stringify({ role: 'db', datacenter: 'ams', os: { name: 'Debian' } }));
  const classes = file('classes.txt', 'base\nnginx\nrole::web\n');
  const log = `${scratch.dir}/${name}.log`;
  const cfg = file(
    'server.cfg',
    [
      '# a node daemon, MCollective style',
      `identity = ${name}.example.net`,
      `middleware_hosts = ${broker.url}`,
      'securityprovider = insecure',
      `plugin.yaml = ${yaml}:${json}`,
      `classesfile = ${classes}`,
      'fact_reload_interval = 0.5',
      `logfile = ${log}`,
      'loglevel = info',
      ...extra,
      '',
    ].join('\n'),
  );
  const d = await startDaemon(cfg, log);
  running.push(d);
  return { d, yaml, json, classes, cfg, identity: `${name}.example.net` };
}

async function factOf(identity: string, fact: string): Promise<unknown> {
  const r = await mco(['rpc', 'rpcutil', 'get_fact', `fact=${fact}`, '-I', identity, '--json']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return parseAs<ReportJson<{ value: unknown }>>(r.stdout).replies[0]!.data.value;
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    v = await probe();
  }
  return v;
}

describe('mco server run', () => {
  it('logs the insecure-provider warning at start', async () => {
    const { d } = await daemon('warn');
    expect(d.log().find((l) => l.level === 40 && /securityprovider = insecure/.test(l.msg))).toBeDefined();
  });

  it('merges YAML and JSON fact files (later wins, nested mappings merge) and answers dotted paths and classes in filters', async () => {
    const { identity } = await daemon('facts');
    const [family, role, found, notFound, byClass] = await Promise.all([
      factOf(identity, 'os.family'),
      factOf(identity, 'role'),
      mco(['find', '-F', 'os.family=Debian', '-F', 'os.release.major>=12', '-F', 'os.name=Debian', '-F', 'datacenter=ams', '-F', 'cpus>4']),
      mco(['find', '-F', 'role=web', '--dt', '0.5']),
      mco(['find', '-C', 'nginx', '-C', '/^role::web$/', '-F', 'networking.interfaces=eth1']),
    ]);
    expect(family).toBe('Debian');
    expect(role).toBe('db');
    expect(lines(found.stdout)).toContain(identity);
    expect(lines(notFound.stdout)).not.toContain(identity);
    expect(lines(byClass.stdout)).toContain(identity);
  });

  it('a fact file changed on disk is answered after the reload interval', async () => {
    const { identity, yaml } = await daemon('reload');
    expect(await factOf(identity, 'cpus')).toBe(8);
    writeFileSync(yaml, 'os:\n  family: Debian\ncpus: 32\n');
    const started = Date.now();
    expect(
      await eventually(
        () => factOf(identity, 'cpus'),
        (v) => v === 32,
      ),
    ).toBe(32);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('the classes file changing is picked up the same way', async () => {
    const { identity, classes } = await daemon('classes');
    writeFileSync(classes, 'base\nhaproxy\n');
    const found = await eventually(
      () => mco(['find', '-C', 'haproxy', '--dt', '1']),
      (r) => lines(r.stdout).includes(identity),
    );
    expect(lines(found.stdout)).toEqual([identity]);
  });

  it('SIGHUP re-reads facts and config: a new collective and new facts, without polling', async () => {
    const { d, identity, yaml, cfg } = await daemon('hup', ['fact_reload_interval = 0']);
    // A daemon polling the same file shows when a poll would have seen the change.
    const polling = await daemon('hup-polling', [], yaml);
    writeFileSync(yaml, 'role: web\nos:\n  family: Debian\ncpus: 2\n');
    expect(
      await eventually(
        () => factOf(polling.identity, 'cpus'),
        (v) => v === 2,
      ),
    ).toBe(2);
    expect(await factOf(identity, 'cpus')).toBe(8);
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}collectives = mcollective,dev\n`);
    d.child.kill('SIGHUP');
    await d.waitForLog((l) => l.msg === 'reloading configuration');
    const dev = await eventually(
      () => mco(['find', '-T', 'dev', '--dt', '1']),
      (r) => lines(r.stdout).includes(identity),
    );
    expect(lines(dev.stdout)).toEqual([identity]);
    expect(await factOf(identity, 'cpus')).toBe(2);
    expect(d.child.exitCode).toBeNull();
  });

  it('a broken config on SIGHUP keeps the running one, and the daemon keeps answering', async () => {
    const { d, identity, cfg } = await daemon('badhup');
    writeFileSync(cfg, 'identity = \nbogus_key = 1\n');
    d.child.kill('SIGHUP');
    await d.waitForLog((l) => /config reload failed/.test(l.msg ?? ''));
    expect(await factOf(identity, 'role')).toBe('db');
  });

  it('SIGTERM stops the daemon: exit 0, gone from the collective', async () => {
    const { d, identity } = await daemon('term');
    expect(await factOf(identity, 'role')).toBe('db');
    const started = Date.now();
    const code = await d.stop('SIGTERM');
    const tookMs = Date.now() - started;
    expect(code, JSON.stringify(d.log().slice(-4))).toBe(0);
    expect(tookMs).toBeLessThan(8000);
    expect(d.log().some((l) => l.msg === 'node daemon stopped')).toBe(true);
    const r = await mco(['rpc', 'rpcutil', 'ping', '-I', identity, '-t', '0.5']);
    expect(r.code).toBe(3);
  });

  it('a bad config file is one line naming file:line, exit 1, no stack', async () => {
    const cfg = scratch.file('broken.cfg', `identity = x\nmiddleware_hosts = ${broker.url}\nfact_reload_intervall = 3\n`);
    const r = await runMco(['server', 'run', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`mco: ${cfg}:3: unknown config key "fact_reload_intervall"; did you mean "fact_reload_interval"?`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
