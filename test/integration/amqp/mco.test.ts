// The mco applications over RabbitMQ: a simulated fleet with `connector = amqp` in a vhost of its own on the machine's
// broker, driven by the real `mco` binary. Same commands, filters, discovery and batching as over NATS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet, type VirtualNode } from '../../../src/server/fleet.js';
import { runMco, scratchDir, type RunningSim } from '../../helpers/mco.js';
import { startAmqpSim, testVhost, writeAmqpConfig, type Vhost } from '../../helpers/rabbitmq.js';

const FLEET: VirtualNode[] = generateFleet(12).nodes.map((n, i) => ({
  ...n,
  collectives: i < 4 ? ['mcollective', 'dev'] : ['mcollective'],
}));
const ALL = FLEET.map((n) => n.identity).sort();
const where = (pick: (n: VirtualNode) => boolean) =>
  FLEET.filter(pick)
    .map((n) => n.identity)
    .sort();
const DISABLED = FLEET[2]!.identity;
const RAN = FLEET[5]!.identity;

let vhost: Vhost;
let sim: RunningSim | undefined;
let scratch: ReturnType<typeof scratchDir>;
let client: string;

const mco = (args: string[], timeoutMs = 30_000) => runMco([...args, '--config', client], { timeoutMs });
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const senders = (stdout: string) => (JSON.parse(stdout) as { replies: Array<{ sender: string }> }).replies.map((r) => r.sender).sort();

/** Each node's Puppet files under scratch/<identity>/: one node disabled, one with a recent run, the rest idle. */
function puppetFiles(dir: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const key of ['agent_disabled_lockfile', 'agent_catalog_run_lockfile', 'pidfile', 'lastrunfile', 'lastrunreport', 'resourcefile']) {
    settings[`plugin.puppet.${key}`] = join(dir, '{identity}', key);
  }
  for (const n of FLEET) mkdirSync(join(dir, n.identity), { recursive: true });
  writeFileSync(join(dir, DISABLED, 'agent_disabled_lockfile'), JSON.stringify({ disabled_message: 'maintenance window' }));
  writeFileSync(join(dir, RAN, 'lastrunfile'), `---\ntime:\n  last_run: ${Math.floor(Date.now() / 1000) - 120}\n`);
  return settings;
}

beforeAll(async () => {
  vhost = await testVhost('troupe-mco');
  scratch = scratchDir('troupe-amqp-mco-');
  const fleetFile = scratch.file('fleet.json', JSON.stringify({ nodes: FLEET }));
  // A quiet window of a second: exact node lists must not depend on how busy the machine is.
  client = writeAmqpConfig(scratch.dir, 'client.cfg', vhost.url, { collectives: 'mcollective,dev', discovery_quiet_window: 1 });
  sim = await startAmqpSim(scratch, vhost.url, ['--fleet', fleetFile], { collectives: 'mcollective,dev', ...puppetFiles(scratch.dir) });
});

afterAll(async () => {
  await sim?.stop();
  await vhost?.remove();
  scratch?.cleanup();
});

describe('mco over RabbitMQ', () => {
  it('ping: every node answers, each once', async () => {
    const r = await mco(['ping', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(senders(r.stdout)).toEqual(ALL);
  });

  it('ping --expect stops as soon as the whole fleet answered', async () => {
    const r = await mco(['ping', '--expect', String(ALL.length), '--timeout', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const stats = (JSON.parse(r.stdout) as { stats: { count: number; wall_ms: number } }).stats;
    expect(stats.count).toBe(ALL.length);
    expect(stats.wall_ms).toBeLessThan(10_000);
  });

  it('find: discovery lists the fleet, and fact, class and identity filters narrow it', async () => {
    const [all, web, cls, ident] = await Promise.all([
      mco(['find']),
      mco(['find', '-F', 'role=web']),
      mco(['find', '-C', 'nginx']),
      mco(['find', '-I', `/^${FLEET[0]!.identity.split('.')[0]}/`]),
    ]);
    expect(lines(all.stdout)).toEqual(ALL);
    expect(lines(web.stdout)).toEqual(where((n) => n.facts?.role === 'web'));
    expect(lines(cls.stdout)).toEqual(where((n) => (n.classes ?? []).includes('nginx')));
    expect(lines(ident.stdout)).toEqual([FLEET[0]!.identity]);
    expect(where((n) => n.facts?.role === 'web').length).toBeLessThan(ALL.length);
  });

  it('find -T dev: a sub-collective reaches only its members', async () => {
    const r = await mco(['find', '-T', 'dev']);
    expect(lines(r.stdout)).toEqual(where((n) => (n.collectives ?? []).includes('dev')));
  });

  it('rpc rpcutil ping: discovery then one request, every node OK', async () => {
    const r = await mco(['rpc', 'rpcutil', 'ping', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      replies: Array<{ sender: string; statuscode: number }>;
      request_stats: { discovered: number; responses: number };
    };
    expect(rep.replies.map((x) => x.sender).sort()).toEqual(ALL);
    expect(rep.replies.every((x) => x.statuscode === 0)).toBe(true);
    expect(rep.request_stats.discovered).toBe(ALL.length);
  });

  it('rpc with -I: directly addressed requests reach exactly the named nodes', async () => {
    const picked = [FLEET[1]!.identity, FLEET[7]!.identity];
    const r = await mco(['rpc', 'rpcutil', 'ping', '-I', picked[0]!, '-I', picked[1]!, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(senders(r.stdout)).toEqual([...picked].sort());
  });

  it('rpc --batch: all nodes answer through batches of directed requests', async () => {
    const r = await mco(['rpc', 'rpcutil', 'ping', '--batch', '5', '--batch-sleep', '0.1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(senders(r.stdout)).toEqual(ALL);
  });

  it('rpc rpcutil get_fact against one node returns its fact', async () => {
    const node = FLEET[3]!;
    const r = await mco(['rpc', 'rpcutil', 'get_fact', 'fact=role', '-I', node.identity, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as { replies: Array<{ data: { value: unknown } }> };
    expect(rep.replies[0]!.data.value).toBe(node.facts?.role);
  });

  it('puppet status: each node reports its own Puppet state', async () => {
    const r = await mco(['rpc', 'puppet', 'status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      replies: Array<{
        sender: string;
        statuscode: number;
        data: { status: string; enabled: boolean; lastrun: number; disable_message: string };
      }>;
    };
    expect(rep.replies.map((x) => x.sender).sort()).toEqual(ALL);
    const by = new Map(rep.replies.map((x) => [x.sender, x.data]));
    expect(by.get(DISABLED)).toMatchObject({ status: 'disabled', enabled: false, disable_message: 'maintenance window' });
    expect(by.get(RAN)!.lastrun).toBeGreaterThan(0);
    expect(rep.replies.filter((x) => x.data.enabled)).toHaveLength(ALL.length - 1);
  });

  it('an unknown node named with -I is reported as not answering, and the exit code says so', async () => {
    const r = await mco(['rpc', 'rpcutil', 'ping', '-I', 'no-such-node.example.net', '--timeout', '2']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('no-such-node.example.net');
  });

  it('leaves one exclusive queue per node and no queue per request or client', async () => {
    await mco(['ping']);
    const queues = lines(await vhost.ctl(['list_queues', '-p', vhost.name, 'name', 'exclusive', '--no-table-headers', '--silent']));
    expect(queues).toHaveLength(ALL.length);
    expect(queues.every((q) => /\strue$/.test(q))).toBe(true);
  });
});
