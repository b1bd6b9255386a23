// Real Puppet in isolated per-node trees under a temp dir (never /etc or /var), and simulated fleets pointed at them.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { expect } from 'vitest';
import { freePort, startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, runMco, startSim, type RunningSim } from '../../helpers/mco.js';
import { waitFor as waitUntil, type Probe } from '../../helpers/wait.js';
import { type ReportJson, parseAs } from '../../helpers/json.js';

export interface PuppetNode {
  identity: string;
  dir: string;
  conf: string;
  vardir: string;
  /** Fleet-file settings pointing the puppet agent at this tree. */
  settings: Record<string, string>;
  runLog: string;
}

/** Fails fast with a clear message when Puppet is missing (`npm test` installs it through scripts/ensure-deps.mjs). */
export function requirePuppet(): void {
  const r = spawnSync('puppet', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('these tests need Puppet on PATH: run `node scripts/ensure-deps.mjs` (Debian package puppet-agent)');
}

/** A private Puppet tree: every path Puppet writes lives under `root/<identity>` (Debian pins ssldir and publicdir). */
export function puppetNode(
  root: string,
  identity: string,
  conf: Record<string, string | number> = {},
  settings: Record<string, string> = {},
): PuppetNode {
  const dir = join(root, identity);
  const vardir = join(dir, 'var');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  const main: Record<string, string | number> = {
    codedir: join(dir, 'puppetcode'),
    vardir,
    logdir: join(dir, 'log'),
    rundir: join(dir, 'run'),
    ssldir: join(dir, 'ssl'),
    publicdir: join(vardir, 'public'),
    certname: identity,
    ...conf,
  };
  const confFile = join(dir, 'etc', 'puppet.conf');
  writeFileSync(
    confFile,
    '[main]\n' +
      Object.entries(main)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n') +
      '\n',
  );
  const runLog = join(dir, 'runs.log');
  return {
    identity,
    dir,
    conf: confFile,
    vardir,
    runLog,
    settings: { 'plugin.puppet.config': confFile, 'plugin.puppet.run_logfile': runLog, ...settings },
  };
}

export interface TestCA {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function certificate(
  subject: string,
  publicKey: forge.pki.PublicKey,
  issuer: string,
  signer: forge.pki.rsa.PrivateKey,
  serial: string,
  ca: boolean,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 86400_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  cert.setExtensions(
    ca
      ? [
          { name: 'basicConstraints', cA: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true },
        ]
      : [{ name: 'basicConstraints', cA: false }],
  );
  cert.sign(signer, forge.md.sha256.create());
  return cert;
}

/** An RSA key pair made by Node's native crypto (forge's own generator is slow in JavaScript). */
function keyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

export function makeCA(): TestCA {
  const keys = keyPair();
  return { cert: certificate('troupe test CA', keys.publicKey, 'troupe test CA', keys.privateKey, '01', true), key: keys.privateKey };
}

/**
 * Gives a node the client certificate an agent run needs to get past SSL bootstrap. With no Puppet server
 * listening, its runs then fail as real agent runs do without a server: quickly, rewriting last_run_summary.yaml.
 */
export function issueAgentCert(node: PuppetNode, ca: TestCA, serial: string): void {
  const ssl = join(node.dir, 'ssl');
  mkdirSync(join(ssl, 'certs'), { recursive: true });
  mkdirSync(join(ssl, 'private_keys'), { recursive: true });
  const keys = keyPair();
  const cert = certificate(node.identity, keys.publicKey, 'troupe test CA', ca.key, serial, false);
  writeFileSync(join(ssl, 'certs', 'ca.pem'), forge.pki.certificateToPem(ca.cert));
  writeFileSync(join(ssl, 'certs', `${node.identity}.pem`), forge.pki.certificateToPem(cert));
  writeFileSync(join(ssl, 'private_keys', `${node.identity}.pem`), forge.pki.privateKeyToPem(keys.privateKey), { mode: 0o600 });
}

/**
 * Agent-mode nodes with no Puppet server: each points at a closed port and holds a client certificate from one CA,
 * so its runs fail quickly, as real agent runs do without a server.
 */
export async function agentNodes(
  root: string,
  specs: ReadonlyArray<{ identity: string; settings?: Record<string, string> }>,
): Promise<PuppetNode[]> {
  const closed = await freePort();
  const ca = makeCA();
  return specs.map(({ identity, settings }, i) => {
    const node = puppetNode(root, identity, { server: '127.0.0.1', masterport: closed, certificate_revocation: 'false' }, settings);
    issueAgentCert(node, ca, String(10 + i));
    return node;
  });
}

/**
 * A private broker, one `mco sim` running the nodes (its fleet file in `root`), and a client config for them. Made
 * before it starts, so that stop() also ends what a start cut short by a hook timeout leaves running.
 */
export class PuppetFleet {
  /** A client config for the fleet's broker. */
  client = '';
  private nodes: readonly PuppetNode[] = [];
  private nats?: Promise<LocalNatsServer>;
  private sim?: Promise<RunningSim>;

  async start(root: string, nodes: ReadonlyArray<PuppetNode & { facts?: Record<string, unknown> }>): Promise<this> {
    this.nodes = nodes;
    this.nats = startNatsServer();
    const { url } = await this.nats;
    this.sim = startSim(['--fleet', writeFleet(root, nodes), '--server', url]);
    await this.sim;
    this.client = clientConfigFor(url, { discovery_timeout: 1 });
    return this;
  }

  /** Waits for the runs troupe started on the nodes to end, then stops the sim and the broker. */
  async stop(): Promise<void> {
    await waitForQuiet(this.nodes);
    await this.sim?.then(
      (sim) => sim.stop(),
      () => undefined,
    );
    await this.nats?.then(
      (nats) => nats.stop(),
      () => undefined,
    );
  }
}

export function writeFleet(
  root: string,
  nodes: ReadonlyArray<{ identity: string; settings: Record<string, string>; facts?: Record<string, unknown> }>,
): string {
  const file = join(root, 'fleet.json');
  writeFileSync(
    file,
    JSON.stringify({ nodes: nodes.map((n) => ({ identity: n.identity, facts: n.facts ?? {}, settings: n.settings })) }, null, 2),
  );
  return file;
}

/** A puppet status reply's data, as waitForRuns reads it. */
export type PuppetStatus = Record<string, unknown> & { applying: boolean; lastrun: number };

/** `mco puppet runonce|runall --json`: the replies and how each run ended. */
export interface PuppetRunsJson extends ReportJson {
  runs: Array<Record<string, unknown>>;
  failed_nodes: string[];
}

/** `mco puppet summary --json`. */
export interface PuppetSummaryJson {
  nodes: number;
  per_node: Record<string, Record<string, unknown>>;
}

export async function mcoJson<T = ReportJson>(args: string[], expectCode = 0): Promise<T> {
  const r = await runMco(args, { timeoutMs: 120_000 });
  expect(r.code, `mco ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(expectCode);
  return parseAs<T>(r.stdout);
}

/** Puppet runs take seconds: a minute's patience, asking twice a second. */
export function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  return waitUntil(what, probe, timeoutMs, everyMs);
}

/** Waits until every run asked for at `initiated` (identity → seconds) is over, as runall judges it. */
export async function waitForRuns(
  client: string,
  initiated: Record<string, number>,
  timeoutMs = 60_000,
): Promise<Record<string, PuppetStatus>> {
  return waitFor(
    'the runs to finish',
    async () => {
      const r = await runMco(['puppet', 'status', '--json', '-c', client, ...Object.keys(initiated).flatMap((i) => ['-I', i])]);
      if (r.code !== 0) return undefined;
      const data = Object.fromEntries(parseAs<ReportJson<PuppetStatus>>(r.stdout).replies.map((x) => [x.sender, x.data]));
      const done = Object.entries(initiated).every(([id, at]) => data[id] && !data[id].applying && data[id].lastrun >= at);
      return done ? data : undefined;
    },
    timeoutMs,
  );
}

/** Waits for the processes troupe started for these nodes (pending runonce locks) to end. */
export async function waitForQuiet(nodes: readonly PuppetNode[], timeoutMs = 30_000): Promise<void> {
  for (const node of nodes) {
    const lock = join(node.vardir, 'state', 'troupe_runonce.lock');
    if (!existsSync(lock)) continue;
    let pid: number | undefined;
    try {
      pid = parseAs<{ pid?: number }>(readFileSync(lock, 'utf8')).pid;
    } catch {
      continue;
    }
    if (!pid || pid === process.pid) continue;
    await waitFor(`pid ${pid} to exit`, () => !alive(pid), timeoutMs, 200).catch(() => {
      // A run of ours that outlived the test: end it rather than leave it behind.
      if (alive(pid)) process.kill(pid, 'SIGTERM');
    });
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.net',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.net',
    },
  }).trim();
}

/** A bare remote and a working clone to commit to; returns a function committing files to a branch and pushing. */
export function gitRemote(root: string): {
  remote: string;
  commit(branch: string, files: Record<string, string>, message: string): string;
} {
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  git(work, 'remote', 'add', 'origin', remote);
  return {
    remote,
    commit(branch, files, message) {
      const branches = git(work, 'branch', '--list', branch);
      const hasCommits = spawnSync('git', ['-C', work, 'rev-parse', '--verify', 'HEAD']).status === 0;
      if (hasCommits) git(work, 'checkout', '--quiet', ...(branches ? [branch] : ['-b', branch]));
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(work, path, '..'), { recursive: true });
        writeFileSync(join(work, path), text);
      }
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '-m', message);
      git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      return git(work, 'rev-parse', 'HEAD');
    },
  };
}

/** A masterless node: its own clone of the remote as code directory, revisions allowed from `allowed`. */
export function masterlessNode(
  root: string,
  identity: string,
  remote: string,
  allowed = 'main',
  extra: Record<string, string> = {},
): PuppetNode {
  const node = puppetNode(root, identity);
  const codedir = join(node.dir, 'code');
  execFileSync('git', ['clone', '--quiet', remote, codedir]);
  Object.assign(node.settings, {
    'plugin.puppet.mode': 'apply',
    'plugin.puppet.codedir': codedir,
    'plugin.puppet.git_allowed_refs': allowed,
    ...extra,
  });
  return node;
}

/**
 * Names Puppet's files for this tree in the node's settings, as `puppet config print` would report them, so the
 * agent need not ask Puppet (a Ruby start per node) and the explicit path keys are used with real Puppet.
 */
export function withExplicitPaths(node: PuppetNode): PuppetNode {
  const state = join(node.vardir, 'state');
  Object.assign(node.settings, {
    'plugin.puppet.agent_disabled_lockfile': join(state, 'agent_disabled.lock'),
    'plugin.puppet.agent_catalog_run_lockfile': join(state, 'agent_catalog_run.lock'),
    'plugin.puppet.pidfile': join(node.dir, 'run', 'agent.pid'),
    'plugin.puppet.lastrunfile': join(node.vardir, 'public', 'last_run_summary.yaml'),
    'plugin.puppet.lastrunreport': join(state, 'last_run_report.yaml'),
    'plugin.puppet.resourcefile': join(state, 'resources.txt'),
  });
  return node;
}

/** Masterless nodes, one per identity, each with its own clone of `remote` and Puppet's paths named in its settings. */
export function masterlessNodes(
  root: string,
  remote: string,
  identities: readonly string[],
  allowed = 'main',
  extra: Record<string, string> = {},
): PuppetNode[] {
  return identities.map((identity) => withExplicitPaths(masterlessNode(root, identity, remote, allowed, extra)));
}
