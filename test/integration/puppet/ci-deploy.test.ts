// examples/ci-deploy/deploy.sh run for real: masterless nodes with real `puppet apply`, chosen by a fact,
// rolled out in batches of 2; a revision that fails on one node stops the rollout at that node's batch.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCO, ROOT, scratchDir } from '../../helpers/mco.js';
import { gitRemote, masterlessNodes, requirePuppet, PuppetFleet, type PuppetNode } from './nodes.js';

const SCRIPT = join(ROOT, 'examples', 'ci-deploy', 'deploy.sh');

const fleet = new PuppetFleet();
let client: string;
let web: PuppetNode[];
let db: PuppetNode;
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
  await fleet.start(scratch.dir, [...web.map((n) => ({ ...n, facts: { role: 'web' } })), { ...db, facts: { role: 'db' } }]);
  client = fleet.client;
});

afterAll(async () => {
  await fleet.stop();
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
