// examples/ci-deploy/rollout.yaml run for real: masterless nodes with real `puppet apply` in two sites, a canary
// and health-gated batches per site; a revision that fails on a canary stops the rollout before anything else runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, ROOT, runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { waitForRegistry } from '../registry/registry.js';
import { gitRemote, masterlessNode, requirePuppet, waitForQuiet, withExplicitPaths, writeFleet, type PuppetNode } from './nodes.js';

const PLAN = join(ROOT, 'examples', 'ci-deploy', 'rollout.yaml');

let nats: LocalNatsServer;
let sim: RunningSim;
let client: string;
let nodes: PuppetNode[];
let repo: ReturnType<typeof gitRemote>;
const scratch = scratchDir('troupe-plan-rollout-');

const deployed = (node: PuppetNode) => {
  const file = join(node.vardir, 'deployed.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};

function site(content: string, failOn?: string): Record<string, string> {
  const guard = failOn ? `if $settings::vardir =~ /${failOn}/ { fail('${content} is broken on ${failOn}') }\n` : '';
  return { 'manifests/site.pp': `${guard}file { "\${settings::vardir}/deployed.txt": content => "${content}\\n" }\n` };
}

const rollout = (revision: string, ...extra: string[]) =>
  runMco(['plan', 'run', PLAN, '--set', `revision=${revision}`, '--config', client, ...extra], { timeoutMs: 300_000 });

beforeAll(async () => {
  requirePuppet();
  nats = await startNatsServer({ jetstream: true });
  repo = gitRemote(scratch.dir);
  repo.commit('main', site('v1'), 'v1');
  const names = ['ams1-a', 'ams1-b', 'fra1-a', 'fra1-b'];
  nodes = names.map((n) => withExplicitPaths(masterlessNode(scratch.dir, `${n}.example.net`, repo.remote)));
  const fleet = nodes.map((n, i) => ({ ...n, facts: { role: 'web', site: names[i]!.slice(0, 4) } }));
  // The plan finds its nodes in the registry: they register at once.
  const simConfig = scratch.config('sim.cfg', {
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registration_splay: 0,
  });
  sim = await startSim(['--fleet', writeFleet(scratch.dir, fleet), '--server', nats.url, '--config', simConfig]);
  await waitForRegistry(nats.url, nodes.length, 20_000);
  client = clientConfigFor(nats.url, { discovery_timeout: 1, discovery_quiet_window: 0.3 });
});

afterAll(async () => {
  if (nodes) await waitForQuiet(nodes);
  await sim?.stop();
  await nats?.stop();
  scratch.cleanup();
});

describe('examples/ci-deploy/rollout.yaml', () => {
  it('--plan shows each site with a canary first, and applies nothing', async () => {
    const r = await rollout('main', '--plan');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ams1: 2 node\(s\) by registry, test: ping before running/);
    expect(r.stdout).toMatch(/ams1 \(puppet\) on ams1: 2 node\(s\) — batches 1, 1 \(canary first\)/);
    for (const node of nodes) expect(deployed(node)).toBeUndefined();
  }, 60_000);

  it('rolls a revision out site by site', async () => {
    const v2 = repo.commit('main', site('v2'), 'v2');
    const r = await rollout(v2);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step ams1 \(puppet\): 2 node\(s\) in 2 batch\(es\) of 1, 1/);
    expect(r.stdout).toContain(`step on_success.done: ${v2} applied to every web node`);
    for (const node of nodes) expect(deployed(node)).toBe('v2');
  }, 300_000);

  it('stops at a failed canary: no other node and no other site is touched', async () => {
    const bad = repo.commit('main', site('v3', 'ams1-a'), 'v3 breaks ams1-a');
    const r = await rollout(bad, '--json');
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as { state: string; reason: string; nodes: string[] };
    expect(out.state).toBe('failed');
    expect(out.nodes).toEqual(['ams1-a.example.net']);
    expect(out.reason).toMatch(/ams1 batch 1 \(canary\)/);
    expect(nodes.map(deployed)).toEqual(['v2', 'v2', 'v2', 'v2']);
  }, 300_000);
});
