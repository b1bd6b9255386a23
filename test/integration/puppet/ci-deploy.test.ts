// examples/ci-deploy/deploy.sh run for real: masterless nodes with real `puppet apply`, chosen by a fact from the
// registry, rolled out in batches of 2; a revision that fails on one node stops the rollout at that node's batch,
// and a node the registry knows that does not answer (its daemon stopped) fails the deploy by name.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs } from '../../helpers/json.js';
import { clientConfigFor, MCO, ROOT, runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import { waitForRegistry } from '../registry/registry.js';
import { gitRemote, masterlessNodes, requirePuppet, waitForQuiet, writeFleet, type PuppetNode, type PuppetRunsJson } from './nodes.js';

const SCRIPT = join(ROOT, 'examples', 'ci-deploy', 'deploy.sh');

let broker: LocalNatsServer | undefined;
let sim: RunningSim | undefined;
/** The app nodes' daemons, in the order of `app`. */
const daemons: RunningDaemon[] = [];
let client: string;
let web: PuppetNode[];
let db: PuppetNode;
/** Three nodes, each its own `mco server run`, chosen by role=app. */
let app: PuppetNode[];
let repo: ReturnType<typeof gitRemote>;
const scratch = scratchDir('troupe-puppet-deploy-');

const deployed = (node: PuppetNode) => {
  const file = join(node.vardir, 'deployed.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};

/** A manifest that deploys `content`, or fails to compile on nodes whose vardir matches `failOn`. */
function site(content: string, failOn?: string): Record<string, string> {
  const guard = failOn ? `if $settings::vardir =~ /${failOn}/ { fail('${content} is broken on ${failOn}') }\n` : '';
  return { 'manifests/site.pp': `${guard}file { "\${settings::vardir}/deployed.txt": content => "${content}\\n" }\n` };
}

function deploy(revision: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [SCRIPT, revision], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        MCO: `${process.execPath} ${MCO}`,
        MCO_CONFIG: client,
        SELECT: 'role=web',
        BATCH_SIZE: '2',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A node daemon of its own for `node`, registering at once, with facts `role: app`. */
function appDaemon(node: PuppetNode, url: string): Promise<RunningDaemon> {
  const log = join(node.dir, 'daemon.log');
  const cfg = scratch.config(`${node.identity}.cfg`, {
    identity: node.identity,
    middleware_hosts: url,
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    'plugin.yaml': scratch.file(`${node.identity}-facts.yaml`, 'role: app\n'),
    classesfile: join(node.dir, 'classes.txt'),
    registration_splay: 0,
    logfile: log,
    loglevel: 'info',
    ...node.settings,
  });
  return startDaemon(cfg, log);
}

beforeAll(async () => {
  requirePuppet();
  repo = gitRemote(scratch.dir);
  repo.commit('main', site('v1'), 'v1');
  web = masterlessNodes(
    scratch.dir,
    repo.remote,
    ['web1', 'web2', 'web3', 'web4'].map((n) => `${n}.example.net`),
  );
  [db] = masterlessNodes(scratch.dir, repo.remote, ['db1.example.net']) as [PuppetNode];
  app = masterlessNodes(
    scratch.dir,
    repo.remote,
    ['app1', 'app2', 'app3'].map((n) => `${n}.example.net`),
  );
  broker = await startNatsServer({ jetstream: true });
  const simConfig = scratch.config('sim.cfg', {
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registration_splay: 0,
  });
  const fleet = writeFleet(scratch.dir, [...web.map((n) => ({ ...n, facts: { role: 'web' } })), { ...db, facts: { role: 'db' } }]);
  const url = broker.url;
  const [started, ...rest] = await Promise.allSettled([
    startSim(['--fleet', fleet, '--server', url, '--config', simConfig]).then((s) => (sim = s)),
    ...app.map((n, i) => appDaemon(n, url).then((d) => (daemons[i] = d))),
  ]);
  const failed = [started, ...rest].find((r): r is PromiseRejectedResult => r?.status === 'rejected');
  if (failed) throw failed.reason;
  await waitForRegistry(broker.url, web.length + 1 + app.length, 20_000);
  client = clientConfigFor(broker.url, { discovery_timeout: 1 });
});

afterAll(async () => {
  await waitForQuiet([...web, db, ...app]);
  await Promise.all(daemons.map((d) => d.stop()));
  await sim?.stop();
  await broker?.stop();
  scratch.cleanup();
});

describe('examples/ci-deploy/deploy.sh', () => {
  it('rolls a revision out to the selected nodes in batches', async () => {
    const v2 = repo.commit('main', site('v2'), 'v2');
    const r = await deploy(v2);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('deploy: batch 1: web1.example.net web2.example.net');
    expect(r.stdout).toContain('deploy: batch 2: web3.example.net web4.example.net');
    expect(r.stdout).toContain(`deploy: ${v2} applied on all 4 node(s)`);
    for (const node of web) expect(deployed(node)).toBe('v2');
    expect(deployed(db)).toBeUndefined();
  }, 180_000);

  it('stops at the first batch with a failed node and names it', async () => {
    const bad = repo.commit('main', site('v3', 'web1'), 'v3 breaks web1');
    const r = await deploy(bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `deploy: batch 1 failed; ${bad} was not rolled out further\\. Failed nodes: web1\\.example\\.net \\(The run did not apply a catalog: .+\\)$`,
        'm',
      ),
    );
    expect(r.stdout).not.toContain('batch 2');
    expect(deployed(web[0]!)).toBe('v2');
    expect(deployed(web[1]!)).toBe('v3');
    expect(deployed(web[2]!)).toBe('v2');
    expect(deployed(web[3]!)).toBe('v2');
  }, 180_000);

  it('refuses to run without a selection, and when nothing matches', async () => {
    expect((await deploy('main', { SELECT: '' })).code).toBe(2);
    const none = await deploy('main', { SELECT: 'role=nothing' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("deploy: no node matches 'role=nothing'");
  }, 60_000);
});

describe('examples/ci-deploy/deploy.sh with a silent node', () => {
  it('applies on all three daemons, then fails naming the one whose daemon stopped, deploying nothing', async () => {
    const v4 = repo.commit('main', site('v4'), 'v4');
    const all = await deploy(v4, { SELECT: 'role=app', BATCH_SIZE: '2' });
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toContain(`deploy: ${v4} applied on all 3 node(s)`);
    for (const node of app) expect(deployed(node)).toBe('v4');

    const stopped = daemons[2]!;
    expect(await stopped.stop('SIGTERM')).toBe(0);
    const v5 = repo.commit('main', site('v5'), 'v5');
    const r = await deploy(v5, { SELECT: 'role=app', BATCH_SIZE: '2' });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toContain('applied on all');
    expect(r.stderr).toContain(
      `deploy: 1 of 3 node(s) matching 'role=app' did not answer; ${v5} was not rolled out. Silent nodes: app3.example.net`,
    );
    // Nothing was rolled out: the silent node was found before the first batch.
    for (const node of app) expect(deployed(node)).toBe('v4');

    // What a batch relies on: the batch's nodes by name, so the stopped one is a failed run and a non-zero exit.
    const batch = scratch.file('batch.txt', 'app1.example.net\napp3.example.net\n');
    const runonce = await runMco(
      ['puppet', 'runonce', '--force', '--revision', v4, '--wait', '--json', '--dm', 'flatfile', '--nodes', batch, '--config', client],
      { timeoutMs: 120_000 },
    );
    expect(runonce.code, runonce.stderr).toBe(2);
    const runs = parseAs<PuppetRunsJson>(runonce.stdout);
    expect(runs.failed_nodes).toEqual(['app3.example.net']);
    expect(runs.runs.find((x) => x.sender === 'app3.example.net')).toMatchObject({ ok: false, result: 'no_response' });
  }, 180_000);
});
