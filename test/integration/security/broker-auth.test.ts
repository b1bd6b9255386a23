// Broker authorisation, tried as an attacker would: a real nats-server run from the configuration `mco broker
// config` writes, a real node daemon, real `mco` commands, and raw nats.js connections holding a stolen node
// certificate or another operator's. Each may do what its role needs and nothing more; a revoked certificate
// loses the broker on `mco ca revoke`.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { connect, Events, type NatsConnection, type Status } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, configText, type DevPki } from '../../../src/devkit/pki.js';
import { identityToken } from '../../../src/protocol/index.js';
import { freePort, LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type PingJson, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { startDaemon, stopDaemon } from './daemon.js';

const NODE = 'node1.example.net';
const THIEF = 'node2.example.net'; // a node whose certificate and key were stolen
const SECRET = 's3cret-db-password-7f3a';

let pki: DevPki;
let broker: LocalNatsServer;
let brokerFile: string;
let scratch: ReturnType<typeof scratchDir>;
let daemon: ChildProcess | undefined;
let ops: string;
let alice: string;
const open: NatsConnection[] = [];

/**
 * A raw connection as `name`, from that name's certificate files (or others given). `refusals()` lists what the
 * broker refused so far: after a flush, every refusal of what was sent before it has arrived (the broker answers
 * in order), so no test waits on a clock.
 */
async function rawAs(name: string, files = { cert: pki.certPath(name), key: pki.keyPath(name) }) {
  const errors: Status[] = [];
  const nc = await connect({
    servers: broker.url,
    reconnect: false,
    timeout: 3000,
    tls: { caFile: pki.caPath, certFile: files.cert, keyFile: files.key },
  });
  open.push(nc);
  void (async () => {
    for await (const s of nc.status()) if (s.type === Events.Error) errors.push(s);
  })();
  const refusals = async () => {
    await nc.flush();
    await new Promise(setImmediate); // the status iterator hands over what the flush has brought in a later turn
    return errors.flatMap((e) => (e.permissionContext ? [`${e.permissionContext.operation} ${e.permissionContext.subject}`] : [])).sort();
  };
  return { nc, refusals };
}

/** Subscribes and keeps what arrives. */
function capture(nc: NatsConnection, subject: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, { callback: (err, msg) => !err && got.push(`${msg.subject} ${new TextDecoder().decode(msg.data)}`) });
  return got;
}

beforeAll(async () => {
  pki = createDevPki({ nodes: [NODE, THIEF], clients: ['ops.troupe', 'alice.troupe'], broker: true });
  scratch = scratchDir('troupe-broker-auth-');
  const port = await freePort();
  brokerFile = join(scratch.dir, 'broker', 'nats-server.conf');
  const written = await runMco([
    'broker',
    'config',
    '--out',
    brokerFile,
    '--ca-dir',
    pki.caDir,
    '--listen',
    `127.0.0.1:${port}`,
    '--cert',
    pki.certPath('broker'),
    '--key',
    pki.keyPath('broker'),
    '--jetstream-dir',
    join(scratch.dir, 'broker', 'js'),
    '-c',
    scratch.file('empty.cfg', ''),
  ]);
  expect(written.code, written.stderr).toBe(0);
  expect(written.stdout).toContain('2 nodes, 2 operators');
  broker = await new LocalNatsServer({ port, configFile: brokerFile }).start();

  const facts = scratch.file('facts.yaml', `role: db\ndb_password: ${SECRET}\n`);
  const log = join(scratch.dir, 'node.log');
  const server = scratch.file(
    'server.cfg',
    configText({
      identity: NODE,
      middleware_hosts: broker.url,
      logfile: log,
      'plugin.yaml': facts,
      registerinterval: 300,
      registration_splay: 0,
      'plugin.actionpolicy.allow_unconfigured': 1,
      ...pki.serverConfig(),
      ...pki.tlsConfig(NODE),
    }),
  );
  daemon = await startDaemon(server, log);
  // The operator's config also names the CA and the broker configuration, so `mco ca revoke` keeps the broker in step.
  const operator = (name: string) =>
    configText({
      middleware_hosts: broker.url,
      discovery_timeout: 2,
      'plugin.ca.dir': pki.caDir,
      'plugin.broker.config_file': brokerFile,
      ...pki.clientConfig(name),
      ...pki.tlsConfig(name),
    });
  ops = scratch.file('ops.cfg', operator('ops.troupe'));
  alice = scratch.file('alice.cfg', operator('alice.troupe'));
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  if (daemon) await stopDaemon(daemon);
  await broker?.stop();
  pki?.cleanup();
  scratch?.cleanup();
});

async function askForTheSecret(): Promise<void> {
  const r = await runMco(['rpc', 'rpcutil', 'get_fact', 'fact=db_password', '-I', NODE, '-c', ops, '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(SECRET); // the operator it belongs to reads it
}

describe('a broker configured by mco broker config', () => {
  it('gives a stolen node certificate nothing to read: subscribing to > or another subject space is refused', async () => {
    const thief = await rawAs(THIEF);
    const everything = capture(thief.nc, '>');
    const collective = capture(thief.nc, 'mcollective.>');
    const replies = capture(thief.nc, 'mcollective.reply.>');
    const directed = capture(thief.nc, `mcollective.node.${NODE}`);
    await thief.nc.flush();
    await askForTheSecret();
    await thief.nc.flush(); // anything the broker had routed to the thief has arrived by now
    expect([...everything, ...collective, ...replies, ...directed].join('\n')).not.toContain(SECRET);
    expect([...everything, ...collective, ...replies, ...directed]).toEqual([]);
    expect(await thief.refusals()).toEqual(
      ['subscription >', 'subscription mcollective.>', `subscription mcollective.node.${NODE}`, 'subscription mcollective.reply.>'].sort(),
    );
  });

  it('does not let a node send requests, to all nodes or to one', async () => {
    const thief = await rawAs(THIEF);
    thief.nc.publish('mcollective.broadcast.agent.rpcutil', new TextEncoder().encode('{}'));
    thief.nc.publish(`mcollective.node.${NODE}`, new TextEncoder().encode('{}'));
    expect(await thief.refusals()).toEqual(['publish mcollective.broadcast.agent.rpcutil', `publish mcollective.node.${NODE}`]);
    // mco run with the stolen certificate says why nothing answers.
    const asNode = scratch.file(
      'as-node.cfg',
      configText({ middleware_hosts: broker.url, discovery_timeout: 1, ...pki.clientConfig(THIEF), ...pki.tlsConfig(THIEF) }),
    );
    const r = await runMco(['rpc', 'rpcutil', 'ping', '-I', NODE, '-t', '1', '-c', asNode]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`the broker does not let this certificate publish to mcollective.node.${NODE}`);
  });

  it("does not let a node write another node's registration record", async () => {
    const thief = await rawAs(THIEF);
    thief.nc.publish(`$KV.troupe_registry.${NODE}`, new TextEncoder().encode('{}'));
    expect(await thief.refusals()).toEqual([`publish $KV.troupe_registry.${NODE}`]);
  });

  it("does not let one operator read another operator's replies", async () => {
    const eve = await rawAs('alice.troupe');
    const all = capture(eve.nc, 'mcollective.reply.>');
    const theirs = capture(eve.nc, `mcollective.reply.${identityToken('ops.troupe')}.>`);
    const inboxes = capture(eve.nc, `_INBOX.${identityToken('ops.troupe')}.>`);
    await eve.nc.flush();
    await askForTheSecret();
    await eve.nc.flush();
    expect([...all, ...theirs, ...inboxes].join('\n')).not.toContain(SECRET);
    expect([...all, ...theirs, ...inboxes]).toEqual([]);
    expect(await eve.refusals()).toEqual(
      [
        `subscription _INBOX.${identityToken('ops.troupe')}.>`,
        'subscription mcollective.reply.>',
        `subscription mcollective.reply.${identityToken('ops.troupe')}.>`,
      ].sort(),
    );
    // ... while her own mco, whose reply subject follows her certificate name, works.
    const ping = await runMco(['ping', '-c', alice, '--expect', '1', '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
  });

  it('lets the fleet work end to end: ping, rpc, and discovery from the registry the node wrote', async () => {
    const ping = await runMco(['ping', '-c', ops, '--expect', '1', '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(parseAs<PingJson>(ping.stdout).stats.count).toBe(1);
    const rpc = await runMco(['rpc', 'rpcutil', 'get_fact', 'fact=role', '-c', ops, '--json']);
    expect(rpc.code, rpc.stderr).toBe(0);
    expect(parseAs<ReportJson>(rpc.stdout).replies.map((r) => r.sender)).toEqual([NODE]);
    const found = await runMco(['find', '--dm', 'registry', '-c', ops]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.trim()).toBe(NODE);
    expect(broker.log).not.toMatch(
      /Permissions Violation for (Publish|Subscription) to "(\$JS|\$KV|_INBOX|mcollective\.reply\.[0-9a-f]{32})/,
    );
  });

  it('locks a revoked certificate out on mco ca revoke, and keeps its old key out when the name is issued again', async () => {
    const stolen = { cert: join(scratch.dir, 'stolen.pem'), key: join(scratch.dir, 'stolen.key') };
    copyFileSync(pki.certPath(THIEF), stolen.cert);
    copyFileSync(pki.keyPath(THIEF), stolen.key);
    const thief = await rawAs(THIEF, stolen);
    const kicked = thief.nc.closed();

    const mark = broker.logPosition;
    const revoked = await runMco(['ca', 'revoke', THIEF, '-c', ops]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(
      /Broker configuration .* rewritten \(1 node, 2 operators\); signalled the broker \(pid \d+\) to reload it/,
    );
    await broker.waitForLog(/Reloaded server configuration/, mark);
    await kicked; // the broker closed the connection it had let in before
    expect(readFileSync(brokerFile, 'utf8')).not.toContain(`CN=${THIEF}`);
    const refusedAt = broker.logPosition;
    await expect(rawAs(THIEF, stolen)).rejects.toThrow();
    await broker.waitForLog(/TLS handshake error: certificate not pinned/, refusedAt);

    // The same name issued again with a new key, once cleaned: the new certificate gets in, the stolen one does not.
    const cleaned = await runMco(['ca', 'clean', THIEF, '-c', ops]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const mark2 = broker.logPosition;
    const reissued = await runMco(['ca', 'generate', THIEF, '--key-type', 'ed25519', '--out', join(scratch.dir, 'reissued'), '-c', ops]);
    expect(reissued.code, reissued.stderr).toBe(0);
    await broker.waitForLog(/Reloaded server configuration/, mark2);
    const fresh = await rawAs(THIEF, {
      cert: join(scratch.dir, 'reissued', 'certs', `${THIEF}.pem`),
      key: join(scratch.dir, 'reissued', 'private_keys', `${THIEF}.pem`),
    });
    await fresh.nc.flush();
    const refusedAgain = broker.logPosition;
    await expect(rawAs(THIEF, stolen)).rejects.toThrow();
    await broker.waitForLog(/TLS handshake error: certificate not pinned/, refusedAgain);
  });
});
