// `mco puppet` against real `puppet agent` runs on three simulated nodes, each with its own isolated Puppet tree.
// There is no Puppet server: each node has a client certificate and points at a closed port, so its runs fail
// the way real agent runs fail without a server, and still write last_run_summary.yaml (lastrun advances).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { agentNodes, mcoJson, requirePuppet, waitForRuns, PuppetFleet, type PuppetNode } from './nodes.js';
import { type ReportJson, parseAs } from '../../helpers/json.js';
import { type PuppetSummaryJson } from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let nodes: PuppetNode[];
const scratch = scratchDir('troupe-puppet-agent-');

beforeAll(async () => {
  requirePuppet();
  nodes = await agentNodes(
    scratch.dir,
    ['web1', 'web2', 'web3'].map((name) => ({ identity: `${name}.example.net` })),
  );
  await fleet.start(
    scratch.dir,
    nodes.map((n) => ({ ...n, facts: { role: 'web' } })),
  );
  client = fleet.client;
});

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
});

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 60_000 });

describe('mco puppet with puppet agent', () => {
  it('runonce -v starts a run on every node, and summary reads their last runs back', async () => {
    const r = await mco('puppet', '-v', 'runonce', '--force', '-F', 'role=web');
    expect(r.code, r.stderr).toBe(0);
    const initiated: Record<string, number> = {};
    for (const node of nodes) {
      const command = `puppet agent --config ${node.conf} --onetime --no-daemonize --color=false --show_diff --verbose --no-splay`;
      const block = new RegExp(
        `^${node.identity.replace(/\./g, '\\.')} +: OK\\n    \\{:summary=>"Started a Puppet run using the '${command.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' command", :initiated_at=>(\\d+)\\}$`,
        'm',
      );
      const m = block.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(`${node.identity} `.padEnd(40)).toBe(r.stdout.slice(m!.index, m!.index + 40));
      initiated[node.identity] = Number(m![1]);
    }
    expect(r.stdout).toMatch(
      /^---- rpc stats ----\n {11}Nodes: 3 \/ 3\n {5}Pass \/ Fail: 3 \/ 0\n {6}Start Time: .+\n {2}Discovery Time: [\d.]+ms\n {6}Agent Time: [\d.]+ms\n {6}Total Time: [\d.]+ms\n$/m,
    );

    const after = await waitForRuns(client, initiated, 60_000);
    for (const node of nodes) expect(after[node.identity]!.lastrun).toBeGreaterThanOrEqual(initiated[node.identity]!);

    const summary = await mco('puppet', 'summary');
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain('Summary statistics for 3 nodes:');
    expect(summary.stdout).toMatch(/ Total resources: ▇ {21}min: 0 +avg: 0 +max: 0/);
    expect(summary.stdout).toMatch(/ Total run-time \(seconds\): \S.{19} {2}min: [\d.]+ +avg: [\d.]+ +max: [\d.]+/);
    expect(summary.stdout).toContain('Finished processing 3 / 3 hosts');

    // What real Puppet wrote for a run that could not reach a server: no catalog, nothing managed.
    const json = await mcoJson<PuppetSummaryJson>(['puppet', 'summary', '--json', '-c', client]);
    expect(json.nodes).toBe(3);
    for (const node of nodes) {
      expect(json.per_node[node.identity]).toMatchObject({
        lastrun: after[node.identity]!.lastrun,
        total_resources: 0,
        failed_resources: 0,
        config_version: '',
      });
    }
  }, 120_000);

  it('disable keeps Puppet from running with its message, until enable', async () => {
    const target = ['-I', 'web1.example.net'];
    const disabled = await mco('puppet', 'disable', 'maintenance window 42', ...target);
    expect(disabled.code, disabled.stdout + disabled.stderr).toBe(0);
    expect(disabled.stdout).toMatch(/Summary of Enabled:\n\n {3}disabled = 1/);

    const status = await mco('puppet', 'status', ...target);
    // Its last run had no server to get a catalog from: status says it failed, and why.
    expect(status.stdout).toMatch(
      /^ {3}web1\.example\.net: Currently disabled; last run .* ago failed: Could not retrieve catalog from remote server: No more routes to puppet$/m,
    );

    const refused = await mco('puppet', 'runonce', ...target);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain("Puppet is disabled: 'maintenance window 42'");

    // The lock is Puppet's own: a run started by hand honours it too.
    const node = nodes[0]!;
    const manual = spawnSync('puppet', ['agent', '--config', node.conf, '--onetime', '--no-daemonize', '--verbose', '--color=false'], {
      encoding: 'utf8',
    });
    expect(manual.status).toBe(1);
    expect(manual.stdout + manual.stderr).toContain("administratively disabled (Reason: 'maintenance window 42')");

    const again = await mco('puppet', 'disable', 'another reason', ...target);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain('Could not disable Puppet: Already disabled');

    const count = await mco('puppet', 'count');
    expect(count.stdout).toMatch(/Nodes currently enabled: 2\n {9}Nodes currently disabled: 1/);

    expect((await mco('puppet', 'enable', ...target)).code).toBe(0);
    const twice = await mco('puppet', 'enable', ...target);
    expect(twice.code).toBe(2);
    expect(twice.stdout).toContain('Could not enable Puppet: Already enabled');
    const json = await mcoJson(['puppet', 'status', '--json', '-c', client, ...target]);
    expect(json.replies[0]!.data).toMatchObject({ enabled: true, disable_message: '', status: 'stopped' });
  }, 90_000);

  it('starts one run when two runonce requests arrive at the same time', async () => {
    const target = ['-I', 'web2.example.net', '--force', '--json'];
    const [a, b] = await Promise.all([mco('puppet', 'runonce', ...target), mco('puppet', 'runonce', ...target)]);
    const replies = [a, b].map((r) => parseAs<ReportJson>(r.stdout).replies[0]!);
    expect([a.code, b.code].sort()).toEqual([0, 2]);
    const refused = replies.find((x) => x.statuscode !== 0);
    expect(refused!.statusmsg).toMatch(
      /has not finished yet, cannot run now|Another request is starting a Puppet run|currently applying a catalog/,
    );
    const started = replies.find((x) => x.statuscode === 0);
    await waitForRuns(client, { 'web2.example.net': started!.data.initiated_at as number });
  }, 90_000);
});
