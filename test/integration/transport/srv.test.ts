// Brokers found by DNS SRV (use_srv) from a real DNS server (dnsmasq) on loopback: real daemons and real `mco`
// processes find their brokers in RFC 2782 order, fall back to MCollective's names, move to the next priority when
// the first broker dies, and follow records that change.
//
// The two brokers are not clustered on purpose: a cluster would carry the client's request from one broker to the
// other, so a ping answered through the priority-20 broker would not show that the daemon had moved there.
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caServiceUrl, findBrokers, findCaService, parseConfig, SrvError } from '../../../src/config/index.js';
import { natsConnector } from '../../../src/transport/nats.js';
import { startDnsServer, type LocalDnsServer, type SrvHost } from '../../../src/devkit/dns.js';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson } from '../../helpers/json.js';
import { runMco, scratchDir, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';

const DOMAIN = 'example.test';
const TROUPE = `_troupe-server._tcp.${DOMAIN}`;
const MCOLLECTIVE = `_mcollective-server._tcp.${DOMAIN}`;
const PUPPET = `_x-puppet-mcollective._tcp.${DOMAIN}`;

const srv = (name: string, broker: LocalNatsServer, priority: number, weight = 0): SrvHost => ({
  name,
  target: '127.0.0.1',
  port: broker.port,
  priority,
  weight,
});

let scratch: Scratch;
let dns: LocalDnsServer;
let first: LocalNatsServer;
let second: LocalNatsServer;
let third: LocalNatsServer;
const daemons: RunningDaemon[] = [];

/** Keys of every process here: SRV from our dnsmasq, short queries. */
const srvKeys = () => ({ use_srv: 'true', srv_nameserver: dns.nameserver, srv_timeout: 0.5 });

function clientConfig(name: string, extra: Record<string, string | number> = {}): string {
  return scratch.config(name, {
    ...srvKeys(),
    srv_domain: DOMAIN,
    discovery_timeout: 2,
    discovery_quiet_window: 0.2,
    securityprovider: 'insecure',
    ...extra,
  });
}

/** A daemon whose domain comes from its Facter-style facts (networking.domain), not from srv_domain. */
async function daemon(identity: string): Promise<RunningDaemon> {
  const logFile = join(scratch.dir, `${identity}.log`);
  const facts = scratch.file(`${identity}.yaml`, `networking:\n  domain: ${DOMAIN}\n  fqdn: ${identity}\n`);
  const cfg = scratch.config(`${identity}.cfg`, {
    ...srvKeys(),
    identity,
    securityprovider: 'insecure',
    'plugin.yaml': facts,
    classesfile: join(scratch.dir, 'classes.txt'),
    logfile: logFile,
    loglevel: 'debug',
    'plugin.nats.max_reconnect_wait': 0.5,
  });
  const d = await startDaemon(cfg, logFile);
  daemons.push(d);
  return d;
}

async function ping(config: string, expect?: number): Promise<{ senders: string[]; code: number | null; stderr: string }> {
  const r = await runMco(['ping', '--config', config, '--json', ...(expect ? ['--expect', String(expect)] : ['-t', '2'])]);
  if (r.code !== 0 && !r.stdout) return { senders: [], code: r.code, stderr: r.stderr };
  return {
    senders: parseAs<PingJson>(r.stdout)
      .replies.map((x) => x.sender)
      .sort(),
    code: r.code,
    stderr: r.stderr,
  };
}

function readLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const serverOf = (line: Record<string, unknown>) => String(line['server'] ?? '');

beforeAll(async () => {
  scratch = scratchDir('troupe-srv-');
  [first, second, third] = await Promise.all([startNatsServer(), startNatsServer(), startNatsServer()]);
  dns = await startDnsServer({ domains: [DOMAIN], records: [srv(TROUPE, second, 20), srv(TROUPE, first, 10)] });
}, 30_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await dns?.stop();
  await Promise.all([first?.stop(), second?.stop(), third?.stop()]);
  scratch?.cleanup();
});

describe('finding brokers by DNS SRV', () => {
  it('looks troupe’s name up first, in priority order', async () => {
    const found = await findBrokers(parseConfig(`use_srv = 1\nsrv_domain = ${DOMAIN}\nsrv_nameserver = ${dns.nameserver}\n`));
    expect(found).toEqual({ name: TROUPE, servers: [first.url, second.url] });
  });

  it('connects to the first priority every time: nats.js does not shuffle a list found by SRV', async () => {
    const config = parseConfig(`use_srv = 1\nsrv_domain = ${DOMAIN}\nsrv_nameserver = ${dns.nameserver}\n`);
    const connectedTo: string[] = [];
    // Shuffled, two servers would put the priority-20 one first half the time: 8 in a row is 1 in 256.
    for (let i = 0; i < 8; i++) {
      const connector = natsConnector.create(config, { name: 'srv-test', waitForBroker: false });
      connector.onEvent((e) => e.type === 'connected' && connectedTo.push(e.server));
      await connector.connect();
      await connector.close();
    }
    expect(connectedTo).toEqual(Array(8).fill(`127.0.0.1:${first.port}`));
  });

  it('a daemon finds its broker from the SRV records (its domain from its facts) and answers mco ping', async () => {
    const d = await daemon('node1.example.test');
    const found = await d.waitForLog((l) => l.msg === 'brokers found by DNS SRV');
    expect(found['srv']).toBe(TROUPE);
    expect(found['servers']).toEqual([first.url, second.url]);
    // Priority 10 first, every time: the list is not shuffled.
    expect(serverOf(await d.waitForLog((l) => l.msg === 'broker connected'))).toContain(`:${first.port}`);
    expect((await ping(clientConfig('client.cfg'), 1)).senders).toEqual(['node1.example.test']);
  });

  it('uses MCollective’s names when troupe’s has no records', async () => {
    await dns.setRecords([srv(MCOLLECTIVE, first, 10)]);
    const cfg = `use_srv = 1\nsrv_domain = ${DOMAIN}\nsrv_nameserver = ${dns.nameserver}\n`;
    expect(await findBrokers(parseConfig(cfg))).toEqual({ name: MCOLLECTIVE, servers: [first.url] });
    // The client finds the broker by the MCollective name, and so does a new daemon.
    const d = await daemon('node2.example.test');
    expect((await d.waitForLog((l) => l.msg === 'brokers found by DNS SRV'))['srv']).toBe(MCOLLECTIVE);
    expect((await ping(clientConfig('client.cfg'), 2)).senders).toEqual(['node1.example.test', 'node2.example.test']);

    await dns.setRecords([srv(PUPPET, first, 10)]);
    expect(await findBrokers(parseConfig(cfg))).toEqual({ name: PUPPET, servers: [first.url] });
    expect((await ping(clientConfig('client.cfg'), 2)).senders).toEqual(['node1.example.test', 'node2.example.test']);
  });

  it('finds the CA service by _x-puppet-ca._tcp, else by the Puppet server’s _x-puppet._tcp', async () => {
    const cfg = parseConfig(`use_srv = 1\nsrv_domain = ${DOMAIN}\nsrv_nameserver = ${dns.nameserver}\n`);
    const at = (name: string, port: number, priority: number): SrvHost => ({ name, target: 'ca.example.test', port, priority });
    await dns.setRecords([srv(PUPPET, first, 10), at(`_x-puppet._tcp.${DOMAIN}`, 8140, 10), at(`_x-puppet-ca._tcp.${DOMAIN}`, 8141, 10)]);
    expect(await findCaService(cfg)).toBe('https://ca.example.test:8141');
    await dns.setRecords([srv(PUPPET, first, 10), at(`_x-puppet._tcp.${DOMAIN}`, 8140, 10)]);
    expect(await findCaService(cfg)).toBe('https://ca.example.test:8140');
    // plugin.security.ca_url, when set, wins; without use_srv there is no CA service to find.
    expect(await caServiceUrl(parseConfig(`use_srv = 1\nplugin.security.ca_url = https://ca.example.net:8140\n`))).toBe(
      'https://ca.example.net:8140',
    );
    expect(await caServiceUrl(parseConfig(''))).toBeUndefined();
    await dns.setRecords([srv(PUPPET, first, 10)]);
    await expect(findCaService(cfg)).rejects.toThrow(
      `no CA service found by DNS SRV via ${dns.nameserver}: tried _x-puppet-ca._tcp.${DOMAIN} (no records), _x-puppet._tcp.${DOMAIN} (no records)`,
    );
  });

  it('says which names it tried when none has records, and that no broker was found', async () => {
    const r = await runMco(['ping', '--config', clientConfig('nowhere.cfg', { srv_domain: `nowhere.${DOMAIN}` })]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no broker found by DNS SRV');
    for (const name of ['_troupe-server._tcp', '_mcollective-server._tcp', '_x-puppet-mcollective._tcp'])
      expect(r.stderr).toContain(`${name}.nowhere.${DOMAIN} (no records)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('gives up on a DNS server that does not answer within srv_timeout, or refuses, saying so', async () => {
    // A UDP socket that takes queries and never answers.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const lookup = (server: string) =>
      findBrokers(parseConfig(`use_srv = 1\nsrv_domain = ${DOMAIN}\nsrv_nameserver = ${server}\nsrv_timeout = 0.2\n`)).then(
        () => undefined,
        (e: unknown) => e as SrvError,
      );
    try {
      const server = `127.0.0.1:${silent.address().port}`;
      const started = performance.now();
      const err = await lookup(server);
      const tookMs = performance.now() - started;
      expect(err).toBeInstanceOf(SrvError);
      expect(err!.code).toBe('srv_lookup_failed');
      expect(err!.message).toContain(`no broker found by DNS SRV via ${server}: tried ${TROUPE} (ETIMEOUT)`);
      console.log(`a silent nameserver: three names given up after ${Math.round(tookMs)} ms (srv_timeout 0.2 s, two tries each)`);
      // Three names, each two tries of 0.2 s (c-ares doubles the second): far below a client's patience.
      expect(tookMs).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
    const closed = await freePort();
    const refused = await lookup(`127.0.0.1:${closed}`);
    expect(refused!.code).toBe('srv_lookup_failed');
    expect(refused!.message).toContain(`via 127.0.0.1:${closed}`);
  });

  it('a daemon started before its records exist says so, keeps asking, and joins once they appear', async () => {
    await dns.setRecords([]);
    const starting = daemon('node0.example.test');
    const logFile = join(scratch.dir, 'node0.example.test.log');
    const lines = () => readLines(logFile);
    const warned = await waitFor('node0 to find no broker', () => lines().find((l) => l.msg === 'no broker found by DNS SRV'), 15_000, 25);
    expect(String(warned['err'])).toContain(`tried ${TROUPE} (no records), ${MCOLLECTIVE} (no records), ${PUPPET} (no records)`);
    expect(Number(warned['retryMs'])).toBeGreaterThan(0);
    // Warned once; the retries that find the same nothing are debug lines.
    const noBroker = () => lines().filter((l) => l.msg === 'no broker found by DNS SRV');
    await waitFor('node0 to ask again', () => noBroker().length >= 3, 15_000, 25);
    expect(noBroker().map((l) => l['level'])).toEqual([40, ...Array<number>(noBroker().length - 1).fill(20)]);
    await dns.setRecords([srv(PUPPET, first, 10)]);
    await starting;
    expect((await ping(clientConfig('client.cfg'), 3)).senders).toEqual(['node0.example.test', 'node1.example.test', 'node2.example.test']);
    await daemons.pop()!.stop();
  }, 30_000);

  it('configured middleware_hosts win over SRV, as in Choria: DNS is not asked', async () => {
    const cfg = clientConfig('configured.cfg', { middleware_hosts: first.url, srv_domain: `nowhere.${DOMAIN}` });
    expect((await ping(cfg, 2)).senders).toEqual(['node1.example.test', 'node2.example.test']);
  });

  it('when the priority-10 broker dies, daemons move to priority 20, and clients find it by SRV', async () => {
    await dns.setRecords([srv(TROUPE, second, 20), srv(TROUPE, first, 10)]);
    // node3 starts with these records: priority 10, then 20.
    const d = await daemon('node3.example.test');
    expect(serverOf(await d.waitForLog((l) => l.msg === 'broker connected'))).toContain(`:${first.port}`);
    expect((await ping(clientConfig('client.cfg'), 3)).senders).toHaveLength(3);

    const killedAt = performance.now();
    await first.kill();
    const moved = await d.waitForLog((l) => l.msg === 'broker reconnected', 20_000);
    const failoverMs = performance.now() - killedAt;
    expect(serverOf(moved)).toContain(`:${second.port}`);
    // The client tries priority 10 (refused), then 20, where node3 now answers; node1 (which found both
    // priorities) and node2 (which found only priority 10, then looked again) follow it there.
    await waitFor(
      'every node answering through the priority-20 broker',
      async () => (await ping(clientConfig('client.cfg'), 3)).senders.length === 3,
    );
    const answeringMs = performance.now() - killedAt;
    console.log(
      `failover: node3 reconnected to the priority-20 broker ${Math.round(failoverMs)} ms after priority 10 died; answering ping through it after ${Math.round(answeringMs)} ms`,
    );
    expect(failoverMs).toBeLessThan(15_000);
  }, 60_000);

  it('asks DNS again once every broker it knows has failed, and follows the new records', async () => {
    const d = daemons.at(-1)!;
    const before = d.log().length;
    await dns.setRecords([srv(TROUPE, third, 10)]);
    const killedAt = performance.now();
    await second.kill();
    const since = (msg: string) =>
      d
        .log()
        .slice(before)
        .find((l) => l.msg === msg);
    const rediscovered = await waitFor('node3 to look its brokers up again', () => since('brokers found by DNS SRV'), 30_000, 25);
    expect(rediscovered['servers']).toEqual([third.url]);
    const moved = await waitFor('node3 to reconnect', () => since('broker reconnected'), 30_000, 25);
    expect(serverOf(moved)).toContain(`:${third.port}`);
    console.log(
      `re-resolution: node3 on the broker of the new records ${Math.round(performance.now() - killedAt)} ms after its brokers died`,
    );
    await waitFor('every node on the new broker', async () => (await ping(clientConfig('client.cfg'), 3)).senders.length === 3);
  }, 60_000);
});
