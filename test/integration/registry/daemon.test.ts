// `mco server run` registers: on start (creating the bucket when it is missing), again when its facts change, and
// on its interval; a node that stops registering ages out. Without JetStream, or on AMQP, the registry fails clearly.
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import { testVhost, type Vhost } from '../../helpers/rabbitmq.js';
import { eventually, registryCount } from './registry.js';
import { waitFor } from '../../helpers/wait.js';

let broker: LocalNatsServer;
const scratch = scratchDir('troupe-registry-daemon-');
const running: RunningDaemon[] = [];

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop('SIGKILL')));
});

afterAll(async () => {
  await broker?.stop();
  scratch.cleanup();
});

const configFile = (name: string, keys: Record<string, string | number>) => scratch.config(name, { securityprovider: 'insecure', ...keys });
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** A daemon with a fact file of its own; `keys` override its config. */
async function daemon(name: string, url: string, keys: Record<string, string | number> = {}) {
  const facts = scratch.file(`${name}-facts.yaml`, 'role: web\nos:\n  family: Debian\n');
  const log = `${scratch.dir}/${name}.log`;
  const cfg = configFile(`${name}-server.cfg`, {
    identity: `${name}.example.net`,
    middleware_hosts: url,
    'plugin.yaml': facts,
    classesfile: scratch.file(`${name}-classes.txt`, 'base\n'),
    fact_reload_interval: 0.2,
    registration_splay: 0,
    logfile: log,
    loglevel: 'info',
    ...keys,
  });
  const d = await startDaemon(cfg, log);
  running.push(d);
  return { d, facts, identity: `${name}.example.net` };
}

describe('a daemon in the registry', () => {
  it('registers on start (creating the bucket), and again at once when its facts change', async () => {
    expect(await registryCount(broker.url)).toBe(0);
    const { facts, identity } = await daemon('reg1', broker.url, { registerinterval: 300 });
    const client = configFile('client.cfg', { middleware_hosts: broker.url });
    const find = async (...args: string[]) => lines((await runMco(['find', '--dm', 'registry', ...args, '--config', client])).stdout);

    await eventually('the first registration', async () => (await find('-F', 'role=web')).includes(identity), 10_000);
    expect(await find('-F', 'role=db')).toEqual([]);

    writeFileSync(facts, 'role: db\nos:\n  family: Debian\n');
    // The interval is five minutes: only the change itself can bring the new fact this soon.
    await eventually('registration after the fact change', async () => (await find('-F', 'role=db')).includes(identity), 10_000);
    expect(await find('-F', 'role=web')).toEqual([]);

    const inventory = await runMco(['inventory', identity, '--registry', '--json', '--config', client]);
    const json = JSON.parse(inventory.stdout) as {
      registration: { last_seen: number; version: string };
      inventory: { facts: Record<string, unknown>; agents: string[] };
    };
    expect(json.inventory.facts).toEqual({ role: 'db', os: { family: 'Debian' } });
    expect(json.inventory.agents).toContain('rpcutil');
    expect(Math.abs(json.registration.last_seen - Date.now() / 1000)).toBeLessThan(30);
  });

  it('re-registers every interval, and ages out of the registry once it stops', async () => {
    // A bucket of its own with a two-second max age, kept fresh by a one-second interval.
    const bucket = 'short_lived';
    const { d, identity } = await daemon('reg2', broker.url, { registerinterval: 1, registry_max_age: 3, registry_bucket: bucket });
    const client = configFile('short.cfg', { middleware_hosts: broker.url, registry_bucket: bucket });
    const find = async () => lines((await runMco(['find', '--dm', 'registry', '--config', client])).stdout);
    const lastSeen = async () => {
      const r = await runMco(['inventory', identity, '--registry', '--json', '--config', client]);
      return r.code === 0 ? (JSON.parse(r.stdout) as { registration: { last_seen: number } }).registration.last_seen : undefined;
    };
    const first = await waitFor('the first registration', lastSeen, 10_000, 200);
    expect(await find()).toEqual([identity]);
    // Once the first record is older than the max age, only re-registration keeps the node there.
    await waitFor('a registration more than the max age after the first', async () => ((await lastSeen()) ?? 0) - first > 3, 15_000, 250);
    expect(await find()).toEqual([identity]);
    await d.stop('SIGTERM');
    await eventually('ageing out', async () => (await find()).length === 0, 10_000);
  });
});

describe('without a registry', () => {
  it('a broker without JetStream: the daemon serves on, says once why it does not register, and clients get one line', async () => {
    const plain = await startNatsServer();
    try {
      const { d, identity } = await daemon('reg3', plain.url, { registerinterval: 300, registry_max_age: 400 });
      const failed = await d.waitForLog((l) => l.msg === 'registration failed');
      expect(failed.level).toBe(30);
      expect(failed.err).toMatch(/the broker has no JetStream/);
      expect(failed.retry_in_s).toBe(300);
      // A max age under twice the interval would let the node drop out between registrations: the daemon says so.
      expect(d.log().some((l) => l.level === 40 && /registry_max_age is under twice registerinterval/.test(l.msg))).toBe(true);
      const client = configFile('plain.cfg', { middleware_hosts: plain.url });
      const [ping, find, facts] = await Promise.all([
        runMco(['ping', '--config', client]),
        runMco(['find', '--dm', 'registry', '--config', client]),
        runMco(['facts', 'role', '--registry', '--config', client]),
      ]);
      expect(ping.stdout).toContain(identity);
      for (const r of [find, facts]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
          'mco: registry: the broker has no JetStream (start nats-server with -js, or jetstream {} in its config); the registry needs it\n',
        );
      }
    } finally {
      await Promise.all(running.splice(0).map((d) => d.stop('SIGKILL')));
      await plain.stop();
    }
  });

  it('on AMQP: the daemon does not register, and registry commands fail with one line before connecting', async () => {
    let vhost: Vhost | undefined;
    try {
      vhost = await testVhost('troupe-registry');
      const { d } = await daemon('reg4', vhost.url, { connector: 'amqp', registerinterval: 300 });
      expect(d.log().some((l) => l.msg === 'registration off: the registry needs NATS with JetStream' && l.connector === 'amqp')).toBe(
        true,
      );
      const client = configFile('amqp.cfg', { connector: 'amqp', middleware_hosts: vhost.url });
      const runs = await Promise.all([
        runMco(['find', '--dm', 'registry', '--config', client]),
        runMco(['find', '--do', 'expect=registry', '--config', client]),
        runMco(['ping', '--expect', 'registry', '--config', client]),
        runMco(['inventory', 'reg4.example.net', '--registry', '--config', client]),
      ]);
      for (const r of runs) {
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('mco: the registry needs NATS with JetStream; this client uses connector = amqp\n');
      }
    } finally {
      await Promise.all(running.splice(0).map((d) => d.stop('SIGKILL')));
      await vhost?.remove();
    }
  });
});
