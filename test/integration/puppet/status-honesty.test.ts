// What status, count, summary and runonce --wait say about runs that went wrong, against real Puppet: an agent run
// that fails to get a catalog (Puppet records a failed run with no resources), an agent that exits within seconds
// without recording anything (no certificate: SSL bootstrap fails), a run still splaying, a node that never ran,
// and masterless runs whose catalog does not compile or whose resources fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/broker.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { type ReportJson, parseAs } from '../../helpers/json.js';
import {
  agentNodes,
  alive,
  gitRemote,
  masterlessNodes,
  mcoJson,
  puppetNode,
  requirePuppet,
  waitFor,
  waitForRuns,
  withExplicitPaths,
  PuppetFleet,
  type PuppetNode,
  type PuppetRunsJson,
  type PuppetStatus,
} from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let failing: PuppetNode;
let nocert: PuppetNode;
let splayer: PuppetNode;
let app: PuppetNode;
let repo: ReturnType<typeof gitRemote>;
const scratch = scratchDir('troupe-puppet-honesty-');

beforeAll(async () => {
  requirePuppet();
  [failing, splayer] = (await agentNodes(scratch.dir, [{ identity: 'failing.example.net' }, { identity: 'splay.example.net' }])) as [
    PuppetNode,
    PuppetNode,
  ];
  // No client certificate and no server: `puppet agent` gives up during SSL bootstrap and writes no summary at all.
  nocert = withExplicitPaths(puppetNode(scratch.dir, 'nocert.example.net', { server: '127.0.0.1', masterport: await freePort() }));
  repo = gitRemote(scratch.dir);
  repo.commit('main', { 'manifests/site.pp': 'notify { "fine": }\n' }, 'fine');
  [app] = masterlessNodes(scratch.dir, repo.remote, ['app.example.net']) as [PuppetNode];
  await fleet.start(scratch.dir, [failing, splayer, nocert, app]);
  client = fleet.client;
}, 120_000);

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
}, 60_000);

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 120_000 });

async function statusOf(identity: string): Promise<PuppetStatus> {
  const json = await mcoJson<ReportJson<PuppetStatus>>(['puppet', 'status', '--json', '-c', client, '-I', identity]);
  return json.replies[0]!.data;
}

const recordOf = (node: PuppetNode) =>
  parseAs<{ pid: number; state: string }>(readFileSync(join(node.vardir, 'state', 'troupe_last_run.json'), 'utf8'));

describe('status tells the truth about runs', () => {
  it("ends runonce --wait when an agent run exits early, with Puppet's own error, and status keeps it", async () => {
    const started = Date.now();
    const r = await mco('puppet', 'runonce', '--force', '--wait', '--wait-timeout', '90', '--json', '-I', nocert.identity);
    const tookMs = Date.now() - started;
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const report = parseAs<PuppetRunsJson>(r.stdout);
    expect(report.failed_nodes).toEqual([nocert.identity]);
    expect(report.runs[0]).toMatchObject({ ok: false, result: 'failed' });
    expect(String(report.runs[0]!.message)).toMatch(
      /^Puppet exited with 1 without recording a run: .*(Connection refused|No more routes to ca)/,
    );
    // Puppet gives up within seconds; the wait ends with it, far from its 90 s limit.
    expect(tookMs).toBeLessThan(45_000);

    const status = await mco('puppet', 'status', '-I', nocert.identity);
    expect(status.stdout).toMatch(
      /nocert\.example\.net: Currently stopped; the run requested .* ago exited with 1: .*; no completed run recorded/,
    );
    expect(await statusOf(nocert.identity)).toMatchObject({ last_run_failed: true, run_state: 'ended', run_exit_code: 1 });
  }, 120_000);

  it("shows an agent run that got no catalog as failed, with Puppet's error, in status, count and summary", async () => {
    const r = await mcoJson<ReportJson>(['puppet', 'runonce', '--force', '--json', '-c', client, '-I', failing.identity]);
    await waitForRuns(client, { [failing.identity]: r.replies[0]!.data.initiated_at as number }, 90_000);

    const status = await mco('puppet', 'status', '-I', failing.identity);
    expect(status.stdout).toMatch(
      /failing\.example\.net: Currently stopped; last run \d\d seconds ago failed: Could not retrieve catalog from remote server: No more routes to puppet/,
    );
    expect(status.stdout).toMatch(/Summary of Last Run Status:\n\n {3}failed = 1/);

    const count = await mco('puppet', 'count', '-I', failing.identity, '-I', nocert.identity);
    expect(count.stdout).toMatch(/Nodes whose last run failed: 2/);

    const summary = await mco('puppet', 'summary', '-I', failing.identity, '-I', nocert.identity);
    expect(summary.stdout).toMatch(
      /Last run failed on 2 of 2 nodes:\n\n {3}failing\.example\.net +Could not retrieve catalog from remote server/,
    );
    expect(summary.stdout).toMatch(/ {3}nocert\.example\.net +.*(Connection refused|No more routes to ca)/);
  }, 120_000);

  it('status -v gives the reason a node is disabled', async () => {
    expect((await mco('puppet', 'disable', 'kernel upgrade CHG-1234', '-I', failing.identity)).code).toBe(0);
    try {
      const status = await mco('puppet', 'status', '-v', '-I', failing.identity);
      expect(status.stdout).toMatch(
        /failing\.example\.net: Currently disabled; .*\n +Disabled: kernel upgrade CHG-1234\n +Last run: failed: Could not retrieve catalog/,
      );
    } finally {
      expect((await mco('puppet', 'enable', '-I', failing.identity)).code).toBe(0);
    }
  }, 60_000);

  it('shows a run still splaying as such, counts it, and leaves a never-run node out of the summary figures', async () => {
    const r = await mco('puppet', 'runonce', '--splay', '--splaylimit', '3600', '-I', splayer.identity);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = await waitFor('the run to splay', async () => {
      const st = await statusOf(splayer.identity);
      return st.status === 'splaying' ? st : undefined;
    });
    expect(s).toMatchObject({ applying: false, run_state: 'splaying' });
    expect(s.message).toMatch(/^Currently splaying: run due in \d+ s; no completed run recorded$/);

    const count = await mco('puppet', 'count', '-I', splayer.identity, '-I', failing.identity);
    expect(count.stdout).toMatch(
      /Nodes currently doing puppet runs: 0\n {5}Nodes waiting to run \(splay\): 1\n {10}Nodes currently stopped: 1/,
    );
    expect(count.stdout).toMatch(/Nodes that never ran Puppet: 1/);

    // The requested run is pending, and runonce says so.
    const refused = await mco('puppet', 'runonce', '-I', splayer.identity);
    expect(refused.stdout).toContain('has not finished yet, cannot run now');

    const summary = await mco('puppet', 'summary', '-I', splayer.identity, '-I', failing.identity);
    expect(summary.stdout).toContain(
      'Summary statistics for 2 nodes:\n1 of them never recorded a Puppet run and is left out of the figures',
    );
    // Only the node that ran is in the figures: its time since the last run is not dragged to zero.
    expect(summary.stdout).toMatch(/Time since last run \(seconds\): ▇ {19} {2}min: (\d+) +avg: \1 +max: \1\n/);

    // End the splaying run: the recorder passes the signal on and records the end.
    const { pid } = recordOf(splayer);
    process.kill(pid, 'SIGTERM');
    await waitFor('the splaying run to end', () => !alive(pid));
    expect(await statusOf(splayer.identity)).toMatchObject({ status: 'stopped', run_state: 'ended' });
  }, 120_000);

  it("masterless: shows a catalog that does not compile, and failed resources, with Puppet's error", async () => {
    repo.commit('main', { 'manifests/site.pp': "fail('broken on purpose')\n" }, 'broken');
    const broken = await mco('puppet', 'runonce', '--force', '--revision', 'main', '--wait', '--json', '-I', app.identity);
    expect(broken.code).toBe(2);
    expect(parseAs<PuppetRunsJson>(broken.stdout).runs[0]!.message).toMatch(/^The run did not apply a catalog: .*broken on purpose/);
    const status = await statusOf(app.identity);
    expect(status).toMatchObject({ last_run_failed: true, last_run_status: 'failed', run_state: 'ended' });
    expect(status.message).toMatch(/^Currently stopped; last run \d\d seconds ago failed: .*broken on purpose/);

    repo.commit('main', { 'manifests/site.pp': 'exec { "/bin/false": }\nnotify { "after": }\n' }, 'failing exec');
    const failedRes = await mco('puppet', 'runonce', '--force', '--revision', 'main', '--wait', '--json', '-I', app.identity);
    expect(failedRes.code).toBe(2);
    expect(parseAs<PuppetRunsJson>(failedRes.stdout).runs[0]!.message).toMatch(/^1 resource\(s\) failed: .*\/bin\/false/);
    const after = await statusOf(app.identity);
    expect(after).toMatchObject({ last_run_failed: true, failed_resources: 1 });
    const summary = await mco('puppet', 'summary', '-I', app.identity);
    expect(summary.stdout).toMatch(/Failed resources: ▇ {19} {2}min: 1 +avg: 1 +max: 1/);
    expect(summary.stdout).toMatch(/Last run failed on 1 of 1 node:\n\n {3}app\.example\.net {2}1 resource\(s\) failed/);
  }, 120_000);
});
