// Puppet's own noop setting in masterless mode, with real `puppet apply`: a node whose puppet.conf says
// `noop = true` previews a requested revision (its checkout and files stay as they were) and says so, in the
// reply, the run record and the last run summary; `--no-noop` overrides the setting, as Puppet's own flag does.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../helpers/mco.js';
import { parseAs } from '../../helpers/json.js';
import { git, gitRemote, masterlessNodes, mcoJson, requirePuppet, PuppetFleet, type PuppetNode, type PuppetRunsJson } from './nodes.js';

const fleet = new PuppetFleet();
let node: PuppetNode;
let repo: ReturnType<typeof gitRemote>;
let v1: string;
const scratch = scratchDir('troupe-puppet-configured-noop-');

const site = (content: string) => ({ 'manifests/site.pp': `file { "\${settings::vardir}/deployed.txt": content => "${content}\\n" }\n` });
const deployed = () => readFileSync(join(node.vardir, 'deployed.txt'), 'utf8').trim();
const head = () => git(node.settings['plugin.puppet.codedir']!, 'rev-parse', 'HEAD');
const runRecord = () => parseAs<Record<string, unknown>>(readFileSync(join(node.vardir, 'state', 'troupe_last_run.json'), 'utf8'));
const runonce = (...args: string[]) =>
  mcoJson<PuppetRunsJson>(['puppet', 'runonce', '--force', ...args, '--wait', '--json', '-c', fleet.client]);

beforeAll(async () => {
  requirePuppet();
  repo = gitRemote(scratch.dir);
  v1 = repo.commit('main', site('v1'), 'v1');
  node = masterlessNodes(scratch.dir, repo.remote, ['noop1.example.net'])[0]!;
  // The section `puppet apply` reads; [agent] would not make it a no-op.
  appendFileSync(node.conf, '[user]\nnoop = true\n');
  await fleet.start(scratch.dir, [node]);
  const first = await runonce('--no-noop', '--revision', v1);
  expect(first.runs[0]).toMatchObject({ ok: true, message: `Applied config version ${v1}` });
  expect(deployed()).toBe('v1');
}, 120_000);

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
});

describe("a masterless node with Puppet's noop setting", () => {
  it('previews a requested revision without moving its checkout, and says so; --no-noop applies it', async () => {
    const v2 = repo.commit('main', site('v2'), 'v2');
    const preview = await runonce('--revision', v2);
    expect(preview.replies[0]!.data).toMatchObject({
      revision: v2,
      noop: true,
      summary: expect.stringContaining(
        `Started a no-op Puppet run of ${v2} in a worktree of its own (Puppet's noop setting is true) using the 'puppet apply`,
      ) as string,
    });
    expect(String(preview.replies[0]!.data.summary)).toContain(' --noop ');
    expect(preview.runs[0]).toMatchObject({
      ok: true,
      config_version: v2,
      message: `noop: would change 1 resource (config version ${v2}); nothing applied`,
    });
    expect([head(), deployed()]).toEqual([v1, 'v1']);
    expect(runRecord()).toMatchObject({ state: 'ended', exit_code: 0, noop: true });
    const summary = await mcoJson(['rpc', 'puppet', 'last_run_summary', '--json', '-c', fleet.client]);
    expect(summary.replies[0]!.data).toMatchObject({ config_version: v2, last_run_noop: true, changed_resources: 0 });

    const applied = await runonce('--no-noop', '--revision', v2);
    expect(applied.replies[0]!.data).not.toHaveProperty('noop');
    expect(applied.runs[0]).toMatchObject({ ok: true, message: `Applied config version ${v2}` });
    expect([head(), deployed()]).toEqual([v2, 'v2']);
    expect(runRecord()).not.toHaveProperty('noop');
  }, 120_000);
});
