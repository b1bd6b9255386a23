// Request shaping and the client applications against a 60-node simulated fleet: batches, limits, direct
// addressing, flatfile discovery, exit codes, output modes, facts, inventory, find and plugin doc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitNodes } from '../../../src/client/selection.js';
import type { DaemonStats } from '../../../src/devkit/hostile.js';
import { FLEET_SIZE, identitiesWhere, lines, sendersOf, startFleet, testFleet, type FleetEnv } from './fleet.js';

let env: FleetEnv;
const all = identitiesWhere(() => true);

beforeAll(async () => {
  env = await startFleet();
});

afterAll(async () => {
  await env?.stop();
});

interface Report<D = Record<string, unknown>> {
  replies: Array<{ sender: string; statuscode: number; statusmsg: string; data: D }>;
  request_stats: {
    requestid: string;
    discovered: number;
    responses: number;
    ok: number;
    failed: number;
    no_responses: string[];
    discovery_time_ms: number;
    agent_time_ms: number;
  };
}
const report = <D = Record<string, unknown>>(stdout: string) => JSON.parse(stdout) as Report<D>;

describe('batching', () => {
  it('--batch 10 --batch-sleep 0.1: six batches answered in sequence, each after the previous one and the sleep', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '--batch', '10', '--batch-sleep', '0.1', '--json']);
    expect(r.code).toBe(0);
    const rep = report(r.stdout);
    expect(rep.replies).toHaveLength(FLEET_SIZE);
    // Batches are cut from the discovered nodes in identity order; each node's pong is its clock when it answered.
    const pong = new Map(rep.replies.map((x) => [x.sender, Number(x.data.pong)]));
    const batches = Array.from({ length: 6 }, (_, b) => all.slice(b * 10, b * 10 + 10).map((id) => pong.get(id)!));
    for (let b = 1; b < batches.length; b++) {
      const gap = Math.min(...batches[b]!) - Math.max(...batches[b - 1]!);
      expect(gap, `batch ${b + 1} started ${gap} ms after batch ${b} ended`).toBeGreaterThanOrEqual(95);
    }
    expect(rep.request_stats.agent_time_ms).toBeGreaterThanOrEqual(500);
  });

  it('--batch N% cuts the same way', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-C', 'nginx', '--batch', '50%', '--batch-sleep', '0.2', '--json']);
    const rep = report(r.stdout);
    const web = identitiesWhere((n) => (n.classes ?? []).includes('nginx'));
    expect(sendersOf(r.stdout)).toEqual(web);
    const pong = new Map(rep.replies.map((x) => [x.sender, Number(x.data.pong)]));
    const half = Math.ceil(web.length / 2);
    const first = web.slice(0, half).map((id) => pong.get(id)!);
    const second = web.slice(half).map((id) => pong.get(id)!);
    expect(Math.min(...second) - Math.max(...first)).toBeGreaterThanOrEqual(195);
  });
});

describe('limits', () => {
  it('--limit-nodes N takes the first N; N% of the discovered; -1 one node', async () => {
    const [five, pct, one] = await Promise.all([
      env.mco(['rpc', 'rpcutil', 'ping', '--limit-nodes', '5', '--json']),
      env.mco(['rpc', 'rpcutil', 'ping', '--limit-nodes', '10%', '--json']),
      env.mco(['rpc', 'rpcutil', 'ping', '-1', '--json']),
    ]);
    expect(sendersOf(five.stdout)).toEqual(all.slice(0, 5));
    expect(report(five.stdout).request_stats).toMatchObject({ discovered: 5, responses: 5 });
    expect(sendersOf(pct.stdout)).toEqual(all.slice(0, 6));
    expect(sendersOf(one.stdout)).toHaveLength(1);
    expect(report(one.stdout).request_stats.no_responses).toEqual([]);
  });

  it('--limit-seed picks the same random nodes every run, the ones the seeded shuffle names', async () => {
    const args = ['rpc', 'rpcutil', 'ping', '--limit-nodes', '7', '--limit-seed', '4242', '--json'];
    const [a, b, other] = await Promise.all([
      env.mco(args),
      env.mco(args),
      env.mco(['rpc', 'rpcutil', 'ping', '--limit-nodes', '7', '--limit-seed', '99', '--json']),
    ]);
    expect(sendersOf(a.stdout)).toEqual(sendersOf(b.stdout));
    expect(sendersOf(a.stdout)).toEqual(limitNodes(all, '7', 'random', 4242));
    expect(sendersOf(a.stdout)).not.toEqual(all.slice(0, 7));
    expect(sendersOf(other.stdout)).not.toEqual(sendersOf(a.stdout));
  });
});

describe('direct addressing and flatfile discovery', () => {
  it('plain -I identities are addressed directly: no discovery wait', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-I', all[3]!, '-I', all[40]!, '--json']);
    expect(r.code).toBe(0);
    const rep = report(r.stdout);
    expect(sendersOf(r.stdout)).toEqual([all[3], all[40]]);
    expect(rep.request_stats.discovery_time_ms).toBeLessThan(20);
    const text = await env.mco(['rpc', 'rpcutil', 'ping', '-I', all[3]!, '-v']);
    expect(text.stdout).toMatch(/^ {2}Discovery Time: \d\.\d\dms$/m);
  });

  it('a regex -I still needs discovery', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-I', '/node-0000[12]\\./', '--json']);
    expect(sendersOf(r.stdout)).toEqual(all.slice(0, 2));
    expect(report(r.stdout).request_stats.discovery_time_ms).toBeGreaterThan(100);
  });

  it('--nodes FILE: listed nodes that do not exist are listed under "No response from:" and exit 2', async () => {
    const file = env.scratch.file(
      'some.txt',
      `# web nodes and two that are gone\n${all[0]}\n${all[1]}\n\n${all[2]}\nghost-1.example.net\nghost-2.example.net\n`,
    );
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '--nodes', file, '-t', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Finished processing 3 \/ 5 hosts/);
    expect(r.stdout).toMatch(/No response from:\n\n {3}ghost-1\.example\.net\s+ghost-2\.example\.net\n/);
    const json = await env.mco(['rpc', 'rpcutil', 'ping', '--nodes', file, '-t', '1', '--json']);
    expect(json.code).toBe(2);
    expect(report(json.stdout).request_stats).toMatchObject({
      discovered: 5,
      responses: 3,
      no_responses: ['ghost-1.example.net', 'ghost-2.example.net'],
    });
  });

  it('--nodes FILE of absent nodes only: discovered but nobody answered, exit 3', async () => {
    const file = env.scratch.file('ghosts.txt', 'ghost-1.example.net\nghost-2.example.net\n');
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '--nodes', file, '-t', '0.5']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Finished processing 0 / 2 hosts');
    expect(r.stdout).toContain('No response from:');
  });

  it('--nodes with -I narrows the list to matching identities', async () => {
    const file = env.scratch.file('three.txt', `${all[0]}\n${all[1]}\n${all[2]}\n`);
    const r = await env.mco(['find', '--nodes', file, '-I', '/0000[13]/']);
    expect(lines(r.stdout)).toEqual([all[0], all[2]]);
  });

  it('a missing nodes file is one line, exit 1', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '--nodes', '/nonexistent/nodes.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mco: cannot read nodes file \/nonexistent\/nodes\.txt: ENOENT\n/);
  });
});

describe('exit codes and output modes', () => {
  it('nothing discovered: "No request sent…", exit 1', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-F', 'role=nobody', '--dt', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('No request sent, we did not discover any nodes.\n');
    expect(r.stdout).toBe('');
  });

  it('failed replies: exit 2, status word and message, and --display decides what is shown', async () => {
    const args = ['rpc', 'rpcutil', 'get_config_item', 'item=nosuchkey', '-I', all[0]!, '-I', all[1]!];
    const [dflt, ok, none, allMode] = await Promise.all([
      env.mco(args),
      env.mco([...args, '--display', 'ok']),
      env.mco([...args, '--display', 'none']),
      env.mco([...args, '--display', 'all']),
    ]);
    for (const r of [dflt, ok, none, allMode]) expect(r.code).toBe(2);
    expect(dflt.stdout).toContain(`${all[0]!.padEnd(40)} Invalid Request Data\n   Unknown config property 'nosuchkey'`);
    expect(allMode.stdout).toContain(`${all[1]!.padEnd(40)} Invalid Request Data`);
    for (const r of [ok, none]) {
      expect(r.stdout).not.toContain(all[0]);
      expect(r.stdout).toContain('Finished processing 2 / 2 hosts');
    }
  });

  it('--display failed hides OK replies; --display all shows them', async () => {
    const args = ['rpc', 'rpcutil', 'ping', '-I', all[0]!];
    const [failed, allMode] = await Promise.all([env.mco([...args, '--display', 'failed']), env.mco([...args, '--display', 'all'])]);
    expect(failed.code).toBe(0);
    expect(failed.stdout).not.toContain(all[0]);
    expect(allMode.stdout).toContain(`${all[0]}\n   Timestamp: `);
  });

  it('-v prints the MCollective stats block', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-F', 'role=lb', '-v']);
    const lb = identitiesWhere((n) => n.facts!.role === 'lb').length;
    expect(r.stdout).toMatch(
      new RegExp(
        [
          '---- rpcutil#ping call stats ----',
          `           Nodes: ${lb} / ${lb}`,
          `     Pass / Fail: ${lb} / 0`,
          '      Start Time: \\S+',
          '  Discovery Time: \\d+\\.\\d\\dms',
          '      Agent Time: \\d+\\.\\d\\dms',
          '      Total Time: \\d+\\.\\d\\dms',
        ].join('\n'),
      ),
    );
  });

  it('--no-results prints the request id and returns at once; the node did receive it', async () => {
    const target = all[4]!;
    const passed = async () =>
      report((await env.mco(['rpc', 'rpcutil', 'daemon_stats', '-I', target, '--json'])).stdout).replies[0]!.data.passed as number;
    const before = await passed();
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-I', target, '--no-results']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Request sent with id: [a-f0-9]{32}\n$/);
    expect(await passed()).toBe(before + 2);
  });

  it('--discovery-only prints the nodes and sends nothing', async () => {
    const r = await env.mco(['rpc', 'rpcutil', 'ping', '-F', 'role=db', '--discovery-only']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(identitiesWhere((n) => n.facts!.role === 'db'));
  });
});

describe('client applications', () => {
  it('mco facts FACT: each value and how many nodes have it; -v names them', async () => {
    const [r, v] = await Promise.all([env.mco(['facts', 'role']), env.mco(['facts', 'role', '-v', '-F', 'site=ams1'])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Report for fact: role\n\n/);
    const counts = new Map<string, number>();
    for (const n of testFleet()) counts.set(String(n.facts!.role), (counts.get(String(n.facts!.role)) ?? 0) + 1);
    for (const [value, count] of counts) expect(r.stdout).toMatch(new RegExp(`^ {8}${value} +found ${count} times$`, 'm'));
    expect(r.stdout).toContain(`Finished processing ${FLEET_SIZE} / ${FLEET_SIZE} hosts`);
    for (const id of identitiesWhere((n) => n.facts!.site === 'ams1' && n.facts!.role === 'web'))
      expect(v.stdout).toContain(`            ${id}\n`);
  });

  it('mco facts on a structured fact path', async () => {
    const r = await env.mco(['facts', 'processors.count', '--json']);
    const json = JSON.parse(r.stdout) as { values: Record<string, string[]> };
    expect(Object.keys(json.values).sort()).toEqual(['16', '2', '4', '8']);
    expect(Object.values(json.values).flat()).toHaveLength(FLEET_SIZE);
  });

  it('mco inventory IDENTITY: server statistics, agents, classes, facts as dotted paths', async () => {
    const node = testFleet()[3]!;
    const r = await env.mco(['inventory', node.identity]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Inventory for ${node.identity}:`);
    expect(r.stdout).toMatch(/^ +Total Messages: \d+$/m);
    expect(r.stdout).toMatch(/^ +Main Collective: mcollective$/m);
    expect(r.stdout).toMatch(/ {3}Agents:\n( {6}\S+\n)* {6}discovery\n( {6}\S+\n)* {6}rpcutil\n/);
    for (const c of node.classes ?? []) expect(r.stdout).toContain(`      ${c}\n`);
    expect(r.stdout).toContain('      os.family => Debian\n');
    expect(r.stdout).toContain('      processors.count => 16\n');
  });

  it('mco inventory of an absent node: one line, exit 3', async () => {
    const r = await env.mco(['inventory', 'ghost.example.net', '-t', '0.5']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('Did not receive a response from ghost.example.net\n');
  });

  it('mco find -v reports how discovery went on stderr', async () => {
    const r = await env.mco(['find', '-C', 'postgresql', '-v']);
    const db = identitiesWhere((n) => n.facts!.role === 'db');
    expect(lines(r.stdout)).toEqual(db);
    expect(r.stderr).toMatch(new RegExp(`Discovered ${db.length} nodes in \\d+\\.\\d\\d seconds using the mc discovery plugin`));
  });

  it('mco plugin doc rpcutil: the DDL as a manual; without an agent, the list of agents', async () => {
    const [doc, list] = await Promise.all([env.mco(['plugin', 'doc', 'rpcutil']), env.mco(['plugin', 'doc'])]);
    expect(doc.code).toBe(0);
    for (const action of [
      'agent_inventory',
      'collective_info',
      'daemon_stats',
      'get_config_item',
      'get_fact',
      'get_facts',
      'inventory',
      'ping',
    ]) {
      expect(doc.stdout).toContain(action);
    }
    expect(doc.stdout).toMatch(/Timeout/);
    expect(list.stdout).toMatch(/^ {2}rpcutil +General helpful actions/m);
  });

  it('rpcutil daemon_stats counters add up on every node', async () => {
    await env.mco(['rpc', 'rpcutil', 'ping', '-F', 'role=lb']);
    const r = await env.mco(['rpc', 'rpcutil', 'daemon_stats', '--json']);
    const rep = report<DaemonStats>(r.stdout);
    expect(rep.replies).toHaveLength(FLEET_SIZE);
    for (const { sender, data } of rep.replies) {
      expect(data.validated, sender).toBe(data.filtered + data.passed);
      expect(data.total).toBeGreaterThanOrEqual(data.validated);
      expect(data.replies).toBeLessThanOrEqual(data.passed);
      expect(data.passed).toBeGreaterThan(0);
      expect(data).toHaveProperty('ttlexpired');
      expect(data).toHaveProperty('rejected');
      expect(data.starttime).toBeGreaterThan(1_600_000_000);
    }
    // Every db node saw the -F role=lb broadcasts (discovery and request) and dropped them.
    const db = rep.replies.filter((x) => identitiesWhere((n) => n.facts!.role === 'db').includes(x.sender));
    for (const x of db) expect(x.data.filtered).toBeGreaterThanOrEqual(2);
  });
});
