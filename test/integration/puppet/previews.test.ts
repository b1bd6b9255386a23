// What an operator sees and is left with after a preview or a failure, with real `puppet apply` in masterless
// mode: a no-op run of a revision leaves the node's checkout alone and says what it would have changed, a failed
// resource says what Puppet said, and -v, splay and commands are shown as MCollective shows them.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../../../src/config/index.js';
import { MCO, ROOT, runMco, scratchDir } from '../../helpers/mco.js';
import {
  git,
  gitRemote,
  masterlessNodes,
  waitFor,
  mcoJson,
  requirePuppet,
  PuppetFleet,
  type PuppetNode,
  type PuppetRunsJson,
} from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let nodes: PuppetNode[];
let repo: ReturnType<typeof gitRemote>;
let v1: string;
const scratch = scratchDir('troupe-puppet-previews-');

/** A site manifest managing `files` files under the vardir, each holding `content`. */
const site = (content: string, files = 1) => ({
  'manifests/site.pp': Array.from(
    { length: files },
    (_, i) => `file { "\${settings::vardir}/deployed${i || ''}.txt": content => "${content}\\n" }\n`,
  ).join(''),
});
const deployed = (node: PuppetNode) => readFileSync(join(node.vardir, 'deployed.txt'), 'utf8').trim();
const codedir = (node: PuppetNode) => node.settings['plugin.puppet.codedir']!;
const previews = (node: PuppetNode) => join(node.vardir, 'state', 'troupe_previews');

beforeAll(async () => {
  requirePuppet();
  repo = gitRemote(scratch.dir);
  v1 = repo.commit('main', site('v1'), 'v1');
  const identities = ['web1', 'web2'].map((n) => `${n}.example.net`);
  nodes = masterlessNodes(scratch.dir, repo.remote, identities, 'main', { 'plugin.puppet.resource_type_whitelist': 'file' });
  await fleet.start(scratch.dir, nodes);
  client = fleet.client;
  await mcoJson(['puppet', 'runonce', '--force', '--revision', v1, '--wait', '--json', '-c', client]);
  for (const node of nodes) expect(deployed(node)).toBe('v1');
}, 120_000);

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
});

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 120_000 });

describe('a no-op preview of a revision', () => {
  it('leaves the checkout as it was, says what it would change, and the next plain run applies what was applied', async () => {
    const v2 = repo.commit('main', site('v2', 2), 'v2');
    // A worktree left by a preview whose process was killed: the next preview clears it.
    const crashed = nodes[0]!;
    mkdirSync(previews(crashed), { recursive: true });
    git(codedir(crashed), 'worktree', 'add', '--quiet', '--detach', join(previews(crashed), 'preview-1'), v1);

    const resources = (node: PuppetNode) => readFileSync(join(node.vardir, 'state', 'resources.txt'), 'utf8');
    const managed = nodes.map(resources);
    const preview = await mco('puppet', 'runonce', '--force', '--noop', '--revision', 'main', '--wait');
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    for (const node of nodes) {
      expect(preview.stdout).toMatch(
        new RegExp(
          `${node.identity.replace(/\./g, '\\.')} +OK +noop: would change 2 resources \\(config version ${v2}\\); nothing applied`,
        ),
      );
      expect(deployed(node)).toBe('v1');
      expect(existsSync(join(node.vardir, 'deployed1.txt'))).toBe(false);
      expect(git(codedir(node), 'rev-parse', 'HEAD')).toBe(v1);
      expect(git(codedir(node), 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
      expect(existsSync(previews(node))).toBe(false);
    }
    expect(preview.stdout).not.toContain('Applied config version');
    // What the node manages, as `resource` checks it, is still what was applied.
    expect(nodes.map(resources)).toEqual(managed);
    // The way to apply it, at the commit previewed rather than the branch, ready to paste.
    const suggested = `mco puppet runonce --force --revision ${v2} --wait -c ${client}`;
    expect(preview.stdout).toContain(`\nTo apply what was previewed: ${suggested}\n`);

    // Drift on the nodes: a plain run puts back what was applied before the preview, not what was previewed.
    for (const node of nodes) writeFileSync(join(node.vardir, 'deployed.txt'), 'drifted\n');
    const plain = await mcoJson<PuppetRunsJson>(['puppet', 'runonce', '--force', '--wait', '--json', '-c', client]);
    expect(plain.runs.map((r) => [r.sender, r.ok, r.config_version, r.message])).toEqual(
      nodes.map((n) => [n.identity, true, v1, `Applied config version ${v1}`]),
    );
    for (const node of nodes) {
      expect(deployed(node)).toBe('v1');
      expect(existsSync(join(node.vardir, 'deployed1.txt'))).toBe(false);
    }

    // Pasted into a shell, the suggested command applies what was previewed.
    const pasted = spawnSync('sh', ['-c', suggested.replace(/^mco /, `${shellQuote(process.execPath)} ${shellQuote(MCO)} `)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(pasted.status, pasted.stdout + pasted.stderr).toBe(0);
    for (const node of nodes) expect([deployed(node), existsSync(join(node.vardir, 'deployed1.txt'))]).toEqual(['v2', true]);
  }, 180_000);
});

describe("a preview's worktree", () => {
  const RUNNER = join(ROOT, 'dist', 'src', 'plugins', 'agents', 'puppet', 'apply-runner.js');
  /** A working copy at v1 and a run spec previewing `commit` with `argv` (run in the worktree) as its Puppet. */
  const runSpec = (name: string, commit: string, argv: (worktree: string) => string[]) => {
    const dir = join(scratch.dir, name);
    const code = join(dir, 'code');
    execFileSync('git', ['clone', '--quiet', repo.remote, code]);
    git(code, 'checkout', '--quiet', '--detach', v1);
    const root = join(dir, 'state', 'troupe_previews');
    const spec = {
      argv: argv(join(root, 'preview-1')),
      codedir: code,
      commit,
      preview: { root, dir: join(root, 'preview-1') },
      splaylimit: 0,
      disabledLockfile: join(dir, 'state', 'agent_disabled.lock'),
      runLockfile: join(dir, 'state', 'agent_catalog_run.lock'),
      lastrunfile: join(dir, 'last_run_summary.yaml'),
      lastrunreport: join(dir, 'last_run_report.yaml'),
      gitTimeoutMs: 30_000,
    };
    return { code, root, spec };
  };
  const untouched = (code: string, root: string) => {
    expect(git(code, 'rev-parse', 'HEAD')).toBe(v1);
    expect(git(code, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(existsSync(root)).toBe(false);
  };

  it('is removed when Puppet fails, and the failure is recorded', () => {
    const v3 = repo.commit('preview-fails', site('v3'), 'v3');
    // Fails the way Puppet does, once it has seen the previewed commit in the worktree.
    const { code, root, spec } = runSpec('fails', v3, (worktree) => ['sh', '-c', `grep -q v3 ${worktree}/manifests/site.pp && exit 4`]);
    const r = spawnSync(process.execPath, [RUNNER, JSON.stringify(spec)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(4);
    expect(readFileSync(spec.lastrunreport, 'utf8')).toContain('puppet apply exited with 4 without recording the run');
    untouched(code, root);
  }, 60_000);

  it('is removed when the run is stopped', async () => {
    const { code, root, spec } = runSpec('stopped', v1, () => ['sleep', '60']);
    const runner = spawn(process.execPath, [RUNNER, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', resolve));
    let log = '';
    runner.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      // Past "Running", the runner is applying from the worktree.
      await waitFor('the preview to start', () => log.includes('Running sleep 60'), 30_000, 100);
      expect(existsSync(join(root, 'preview-1', 'manifests'))).toBe(true);
      runner.kill('SIGTERM');
      expect(await exited).not.toBe(0);
    } finally {
      runner.kill('SIGKILL');
    }
    untouched(code, root);
  }, 60_000);
});

describe('a failing resource', () => {
  it("shows Puppet's own error, not only its exit code", async () => {
    const node = nodes[1]!;
    const path = join(node.dir, 'motd');
    const r = await mco('puppet', 'resource', 'file', path, 'ensure=file', 'mode=notamode', '-I', node.identity);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `Failed to apply File[${path}]: Parameter mode failed on File[${path}]: The file mode specification is invalid`,
    );
    expect(r.stdout).not.toContain('exited with');
    expect(r.stdout).not.toContain('Facter');
  }, 60_000);
});

describe('output the MCollective way', () => {
  it('-v shows discovery with the method, its timeout and the count, for puppet and rpc alike', async () => {
    const line = /^Discovering hosts using the mc method for 1 second\(s\) \.\.\.\. 2$/m;
    const status = await mco('puppet', 'status', '-v');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(line);
    expect(status.stdout).not.toContain('Discovering');
    const rpc = await mco('rpc', 'rpcutil', 'ping', '-v');
    expect(rpc.stderr).toMatch(line);
    // Not with JSON, and not when identities need no discovery.
    expect((await mco('puppet', 'status', '-v', '--json')).stderr).not.toContain('Discovering');
    expect((await mco('puppet', 'status', '-v', '-I', nodes[0]!.identity)).stderr).not.toContain('Discovering');
  }, 60_000);

  it('a masterless run that splays says so, and the command it shows can be pasted into a shell', async () => {
    const node = nodes[0]!;
    const r = await mcoJson<PuppetRunsJson>([
      'puppet',
      'runonce',
      '--splaylimit',
      '1',
      '--splay',
      '--wait',
      '--json',
      '-I',
      node.identity,
      '-c',
      client,
    ]);
    expect(r.runs[0]).toMatchObject({ ok: true, config_version: git(codedir(node), 'rev-parse', 'HEAD') });
    const summary = String(r.replies[0]!.data.summary);
    expect(summary).toMatch(/, after a random splay of up to 1 seconds$/);
    const command = /^Started a Puppet run using the '(.*)' command/.exec(summary)![1]!;
    expect(command).toContain(`--config_version 'git -C ${codedir(node)} rev-parse HEAD'`);
    // The shell reads it back as the words the runner runs.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${command}`], { encoding: 'utf8' })
      .trimEnd()
      .split('\n');
    expect(words).toContain(`git -C ${codedir(node)} rev-parse HEAD`);
    expect(words.at(-1)).toBe(join(codedir(node), 'manifests', 'site.pp'));
  }, 60_000);
});
