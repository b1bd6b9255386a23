// Masterless mode with real `puppet apply`: each node keeps its Puppet code in its own git clone, and a
// runonce names the revision to fetch, check out and apply. troupe supplies the run lock and honours the
// disable lock, which `puppet apply` itself does not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { gitRemote, masterlessNodes, mcoJson, requirePuppet, PuppetFleet, type PuppetNode } from './nodes.js';
import { type ReportJson, parseAs } from '../../helpers/json.js';
import { type PuppetRunsJson, type PuppetSummaryJson } from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let nodes: PuppetNode[];
let repo: ReturnType<typeof gitRemote>;
let v1: string;
const scratch = scratchDir('troupe-puppet-masterless-');

const site = (content: string) => ({ 'manifests/site.pp': `file { "\${settings::vardir}/deployed.txt": content => "${content}\\n" }\n` });
const deployed = (node: PuppetNode) => readFileSync(join(node.vardir, 'deployed.txt'), 'utf8').trim();

beforeAll(async () => {
  requirePuppet();
  repo = gitRemote(scratch.dir);
  v1 = repo.commit('main', site('v1'), 'v1');
  const identities = ['app1', 'app2', 'app3'].map((n) => `${n}.example.net`);
  nodes = masterlessNodes(scratch.dir, repo.remote, identities, 'main,release/*', { 'plugin.puppet.resource_type_whitelist': 'file' });
  await fleet.start(scratch.dir, nodes);
  client = fleet.client;
});

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
});

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 120_000 });

describe('masterless runonce', () => {
  it('fetches, checks out and applies a revision on every node, and reports it as config_version', async () => {
    const v2 = repo.commit('main', site('v2'), 'v2');
    const r = await mcoJson<PuppetRunsJson>([
      'puppet',
      'runonce',
      '--force',
      '--revision',
      v2.slice(0, 10),
      '--wait',
      '--json',
      '-c',
      client,
    ]);
    expect(r.failed_nodes).toEqual([]);
    expect(r.runs.map((x) => [x.sender, x.ok, x.config_version])).toEqual(nodes.map((n) => [n.identity, true, v2]));
    for (const reply of r.replies)
      expect(reply.data).toMatchObject({
        revision: v2,
        summary: expect.stringContaining("Started a Puppet run using the 'puppet apply") as string,
      });
    for (const node of nodes) expect(deployed(node)).toBe('v2');

    const summary = await mcoJson<PuppetSummaryJson>(['puppet', 'summary', '--json', '-c', client]);
    for (const node of nodes)
      expect(summary.per_node[node.identity]).toMatchObject({ config_version: v2, failed_resources: 0, changed_resources: 1 });
    const status = await mco('puppet', 'status');
    expect(status.stdout).toMatch(/stopped = 3/);
  }, 120_000);

  it('applies an allowed branch by name, and refuses refs outside the allow-list', async () => {
    const release = repo.commit('release/1.0', site('release'), 'release');
    const outside = repo.commit('experiment', site('experiment'), 'experiment');

    const branch = await mco('puppet', 'runonce', '--force', '--revision', 'experiment');
    expect(branch.code).toBe(2);
    expect(branch.stdout.match(/The branch 'experiment' is not in the allowed refs \(main, release\/\*\)/g)).toHaveLength(3);
    const commit = await mco('puppet', 'runonce', '--force', '--revision', outside, '-I', 'app1.example.net');
    expect(commit.stdout).toContain(`Revision '${outside}' is not on an allowed branch or tag (main, release/*)`);
    const unknown = await mco('puppet', 'runonce', '--force', '--revision', 'no-such-branch', '-I', 'app1.example.net');
    expect(unknown.stdout).toContain("Unknown revision 'no-such-branch' at origin");
    for (const node of nodes) expect(deployed(node)).toBe('v2');

    const ok = await mcoJson<PuppetRunsJson>([
      'puppet',
      'runonce',
      '--force',
      '--revision',
      'release/1.0',
      '--wait',
      '--json',
      '-I',
      'app1.example.net',
      '-c',
      client,
    ]);
    expect(ok.runs[0]).toMatchObject({ ok: true, config_version: release });
    expect(deployed(nodes[0]!)).toBe('release');
  }, 120_000);

  it('honours the disable lock that puppet apply ignores', async () => {
    const target = ['-I', 'app2.example.net'];
    expect((await mco('puppet', 'disable', 'deploy freeze', ...target)).code).toBe(0);
    const refused = await mco('puppet', 'runonce', '--force', '--revision', v1, ...target);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain("Puppet is disabled: 'deploy freeze'");
    expect(deployed(nodes[1]!)).toBe('v2');
    expect((await mco('puppet', 'enable', ...target)).code).toBe(0);
  }, 60_000);

  it('fails a run whose catalog does not compile, and says why', async () => {
    const broken = repo.commit('main', { 'manifests/site.pp': "fail('broken on purpose')\n" }, 'broken');
    const r = await mco('puppet', 'runonce', '--force', '--revision', 'main', '--wait', '--json', '-I', 'app3.example.net');
    expect(r.code).toBe(2);
    const report = parseAs<PuppetRunsJson>(r.stdout);
    expect(report.failed_nodes).toEqual(['app3.example.net']);
    expect(report.runs[0]).toMatchObject({ ok: false, result: 'failed' });
    expect(report.runs[0]!.message).toMatch(/^The run did not apply a catalog: .*broken on purpose/);
    expect(report.replies[0]!.data.revision).toBe(broken);
    const logs = await mcoJson<ReportJson<{ logs: Array<{ msg: string }> }>>([
      'rpc',
      'puppet',
      'last_run_summary',
      'logs=true',
      '--json',
      '-I',
      'app3.example.net',
      '-c',
      client,
    ]);
    expect(logs.replies[0]!.data.logs.map((l) => l.msg).join('\n')).toContain('broken on purpose');
    expect(deployed(nodes[2]!)).toBe('v2');
  }, 90_000);

  it('applies one allowed resource with Puppet, and refuses others and managed ones', async () => {
    const node = nodes[0]!;
    const path = join(node.dir, 'motd');
    const target = ['-I', node.identity];
    const first = await mco('puppet', 'resource', 'file', path, 'ensure=file', 'content=hello from troupe', ...target);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Changed: true/);
    expect(first.stdout).toMatch(/Summary of Changed:\n\n {3}Changed = 1/);
    expect(readFileSync(path, 'utf8')).toBe('hello from troupe');
    const again = await mco('puppet', 'resource', 'file', path, 'ensure=file', 'content=hello from troupe', ...target);
    expect(again.stdout).toMatch(/No Change = 1/);

    const service = await mco('puppet', 'resource', 'service', 'ntp', 'ensure=stopped', ...target);
    expect(service.code).toBe(2);
    expect(service.stdout).toContain('The service type is not listed in the type whitelist');
    const managed = await mco('puppet', 'resource', 'file', join(node.vardir, 'deployed.txt'), 'ensure=absent', ...target);
    expect(managed.code).toBe(2);
    expect(managed.stdout).toContain(
      `Puppet is managing the resource 'File[${join(node.vardir, 'deployed.txt')}]', refusing to create conflicting states`,
    );
    expect(deployed(node)).toBe('release');
  }, 90_000);
});
