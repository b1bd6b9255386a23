// The Puppet cookbook's decentralised workflow with troupe as the scheduler: a bare central repository, real
// `mco server run` daemons tracking `main` (plugin.puppet.git_track) on a short runinterval, real `puppet apply`.
// A push to main reaches every node at its next scheduled run; a branch outside git_allowed_refs never does; a
// tracked tip the allow-list refuses is logged and not applied; `mco puppet disable` stops scheduled runs until
// `enable`. And SIGHUP makes the daemon read Puppet's settings (`puppet config print`) again.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, runMco, scratchDir } from '../../helpers/mco.js';
import { type LogLine, type ReportJson } from '../../helpers/json.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import {
  gitRemote,
  masterlessNode,
  masterlessNodes,
  mcoJson,
  requirePuppet,
  waitFor,
  waitForQuiet,
  type PuppetNode,
  type PuppetRunsJson,
  type PuppetStatus,
  type PuppetSummaryJson,
} from './nodes.js';

const scratch = scratchDir('troupe-puppet-scheduled-');
let nats: LocalNatsServer;
let client: string;
let repo: ReturnType<typeof gitRemote>;
let nodes: PuppetNode[];
/** A node with no schedule and no explicit paths: it asks `puppet config print` where Puppet keeps its files. */
let plain: PuppetNode;
const daemons = new Map<string, RunningDaemon>();

const site = (content: string) => ({ 'manifests/site.pp': `file { "\${settings::vardir}/deployed.txt": content => "${content}\\n" }\n` });
const deployed = (node: PuppetNode) => {
  const file = join(node.vardir, 'deployed.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};
const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 60_000 });

const configFile = (node: PuppetNode) => join(node.dir, 'server.cfg');
const logFile = (node: PuppetNode) => join(node.dir, 'daemon.log');

function writeDaemonConfig(node: PuppetNode, extra: Record<string, string> = {}): void {
  const lines: Record<string, string | number> = {
    identity: node.identity,
    middleware_hosts: nats.url,
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registerinterval: 0,
    logfile: logFile(node),
    loglevel: 'info',
    ...node.settings,
    ...extra,
  };
  writeFileSync(
    configFile(node),
    Object.entries(lines)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n',
  );
}

const daemonOf = (node: PuppetNode) => daemons.get(node.identity)!;
/** The daemon's log lines with this message, logged at or after `sinceMs`. */
const logged = (node: PuppetNode, msg: string, sinceMs = 0) =>
  daemonOf(node)
    .log()
    .filter((l: LogLine) => l.msg === msg && Number(l.time) >= sinceMs);

async function statuses(): Promise<Record<string, PuppetStatus & { next_run: number }>> {
  const r = await mcoJson<ReportJson<PuppetStatus & { next_run: number }>>(['puppet', 'status', '--json', '-c', client]);
  return Object.fromEntries(r.replies.map((x) => [x.sender, x.data]));
}

async function startDaemons(list: readonly PuppetNode[]): Promise<void> {
  for (const node of list) writeDaemonConfig(node);
  const started = await Promise.allSettled(list.map((n) => startDaemon(configFile(n), logFile(n))));
  started.forEach((s, i) => s.status === 'fulfilled' && daemons.set(list[i]!.identity, s.value));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** No new runs first, then let the runs already started end. */
async function stopDaemons(list: readonly PuppetNode[]): Promise<void> {
  await Promise.all(list.flatMap((n) => daemons.get(n.identity) ?? []).map((d) => d.stop()));
  await waitForQuiet(list);
}

beforeAll(async () => {
  requirePuppet();
  nats = await startNatsServer();
  client = clientConfigFor(nats.url, { discovery_timeout: 1 });
  repo = gitRemote(scratch.dir);
  repo.commit('main', site('initial'), 'initial');
  plain = masterlessNode(scratch.dir, 'plain.example.net', repo.remote, 'main', { 'plugin.puppet.git_track': 'main' });
  await startDaemons([plain]);
}, 90_000);

afterAll(async () => {
  await stopDaemons([...(nodes ?? []), ...(plain ? [plain] : [])]);
  await nats?.stop();
  scratch.cleanup();
}, 60_000);

describe('a plain runonce and SIGHUP on a node without a schedule', () => {
  it('applies the tip of the tracked branch when no revision is named', async () => {
    const tip = repo.commit('main', site('tip'), 'tip');
    const r = await mcoJson<PuppetRunsJson>(['puppet', 'runonce', '--force', '--wait', '--json', '-I', plain.identity, '-c', client]);
    expect(r.runs[0]).toMatchObject({ ok: true, config_version: tip });
    expect(r.replies[0]!.data.revision).toBe(tip);
    expect(deployed(plain)).toBe('tip');
  }, 120_000);

  it("reads Puppet's settings again on SIGHUP: a corrected puppet.conf is used without a restart", async () => {
    const before = await statuses();
    expect(before[plain.identity]!.lastrun).toBeGreaterThan(0);
    // The operator points Puppet at another summary file, one that records a run at a known time.
    const elsewhere = join(plain.dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const lastrunfile = join(elsewhere, 'last_run_summary.yaml');
    writeFileSync(lastrunfile, '---\nversion:\n  config: edited\nresources:\n  total: 1\ntime:\n  last_run: 1700000000\n');
    writeFileSync(plain.conf, readFileSync(plain.conf, 'utf8') + `lastrunfile = ${lastrunfile}\n`);
    const hupAt = Date.now();
    daemonOf(plain).child.kill('SIGHUP');
    await waitFor('the plain node to restart', () => logged(plain, 'node daemon ready', hupAt).length === 1, 30_000);
    const after = await waitFor(
      'status to read the summary puppet.conf now names',
      async () => {
        const s = (await statuses())[plain.identity];
        return s?.lastrun === 1_700_000_000 ? s : undefined;
      },
      20_000,
    );
    expect(after.lastrun).toBe(1_700_000_000);
  }, 60_000);
});

describe('scheduled runs tracking a branch (the cookbook workflow)', () => {
  beforeAll(async () => {
    repo.commit('main', site('v1'), 'v1');
    const identities = ['app1', 'app2', 'app3'].map((n) => `${n}.example.net`);
    nodes = masterlessNodes(scratch.dir, repo.remote, identities, 'main', {
      'plugin.puppet.git_track': 'main',
      'plugin.puppet.runinterval': '3s',
      'plugin.puppet.splay': 'true',
      'plugin.puppet.splaylimit': '1',
    });
    await startDaemons(nodes);
  }, 90_000);
  // Their runs keep the machine busy: stopped as soon as the workflow has been shown.
  afterAll(() => stopDaemons(nodes ?? []), 60_000);

  it('deploys a push to main on every node at its next scheduled run, and status says when that is', async () => {
    // The first scheduled run comes at start, after a splay of at most a second: main's tip, v1.
    await waitFor('v1 on every node', () => nodes.every((n) => deployed(n) === 'v1'), 90_000);
    const v2 = repo.commit('main', site('v2'), 'v2');
    await waitFor('v2 on every node', () => nodes.every((n) => deployed(n) === 'v2'), 90_000);

    await waitFor('every node to record v2 as its config version', async () => {
      const s = await mcoJson<PuppetSummaryJson>(['puppet', 'summary', '--json', '-c', client]);
      return nodes.every((n) => s.per_node[n.identity]?.config_version === v2);
    });
    for (const node of nodes) expect(logged(node, 'Puppet runs scheduled every 3 seconds')).toMatchObject([{ git_track: 'main' }]);

    const asked = Date.now();
    const status = await statuses();
    const answered = Date.now();
    for (const node of nodes) {
      // Due within one interval of the question (the splay came only before the first run).
      expect(status[node.identity]!.next_run).toBeGreaterThanOrEqual(Math.floor(asked / 1000) - 2);
      expect(status[node.identity]!.next_run).toBeLessThanOrEqual(Math.ceil(answered / 1000) + 4);
    }
    expect(status[plain.identity]!.next_run).toBe(0);
    const text = await mco('puppet', 'status');
    expect(text.stdout).toMatch(/^Scheduled runs: 3 of 4 node\(s\), the next due \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
  }, 200_000);

  it('stops scheduled runs while Puppet is disabled, and resumes them on enable', async () => {
    const disabledAt = Date.now();
    expect((await mco('puppet', 'disable', 'change freeze')).code).toBe(0);
    repo.commit('main', site('v3'), 'v3');
    // Two scheduled runs skipped on every node after the push: the runs come, the disable lock holds them off.
    await waitFor(
      'two skipped scheduled runs on every node',
      () =>
        nodes.every(
          (n) =>
            logged(n, 'scheduled Puppet run skipped', disabledAt).filter((l) => l.reason === "Puppet is disabled: 'change freeze'")
              .length >= 2,
        ),
      60_000,
    );
    for (const node of nodes) expect(deployed(node)).toBe('v2');
    const status = await statuses();
    for (const node of nodes) expect(status[node.identity]).toMatchObject({ enabled: false, next_run: expect.any(Number) as number });

    expect((await mco('puppet', 'enable')).code).toBe(0);
    await waitFor('v3 on every node after enable', () => nodes.every((n) => deployed(n) === 'v3'), 90_000);
  }, 200_000);

  it('never applies a branch outside git_allowed_refs, and refuses a tracked tip the allow-list does not cover', async () => {
    // app3 now allows only release/* while still tracking main: its tracked tip fails the check.
    const app3 = nodes[2]!;
    writeDaemonConfig(app3, { 'plugin.puppet.git_allowed_refs': 'release/*' });
    const reloadAt = Date.now();
    daemonOf(app3).child.kill('SIGHUP');
    await waitFor('app3 to restart with its new config', () => logged(app3, 'node daemon ready', reloadAt).length === 1, 30_000);

    const outside = repo.commit('experiment', site('experiment'), 'experiment');
    const pushedAt = Date.now();
    const v4 = repo.commit('main', site('v4'), 'v4');
    await waitFor('v4 on app1 and app2', () => nodes.slice(0, 2).every((n) => deployed(n) === 'v4'), 90_000);
    const refused = await waitFor(
      'app3 to refuse the tracked tip after the push',
      () => logged(app3, 'scheduled Puppet run refused', pushedAt)[0],
      60_000,
    );
    expect(refused).toMatchObject({ code: 'not_allowed', reason: "The branch 'main' is not in the allowed refs (release/*)" });
    expect(deployed(app3)).toBe('v3');
    // A plain runonce follows the tracked branch too, and is refused the same way.
    const plainRun = await mco('puppet', 'runonce', '--force', '-I', app3.identity);
    expect(plainRun.stdout).toContain("The branch 'main' is not in the allowed refs (release/*)");
    for (const node of nodes) expect(deployed(node)).not.toBe('experiment');
    const s = await mcoJson<PuppetSummaryJson>(['puppet', 'summary', '--json', '-c', client]);
    for (const node of nodes) expect(s.per_node[node.identity]?.config_version).not.toBe(outside);
    expect(s.per_node[nodes[0]!.identity]?.config_version).toBe(v4);
  }, 200_000);
});
