// runonce: refuse when disabled, applying or already requested; otherwise signal an idle daemon or start a
// detached run (`puppet agent --onetime --no-daemonize …`, or troupe's masterless runner around `puppet apply`).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { shellCommand } from '../../../config/index.js';
import { APPLY_RUNNER, type ApplyRunSpec } from './apply-runner.js';
import type { RecordTo, StartDetached } from './detached.js';
import { PuppetAgentError } from './errors.js';
import { holdUntilRunEnds, type RunGovernors, type RunSlot } from './governor-hold.js';
import { resolveRevision } from './git.js';
import { configuredNoop, printWithPuppet, type PuppetPaths, type SettingsPrinter } from './paths.js';
import { applySplayLimit, buildApplyOptions, buildRunOptions, type RunRequest } from './run-options.js';
import { runRecordFile } from './run-record.js';
import { claimRunonceLock, serially } from './runonce-lock.js';
import { puppetConfigArgs, type PuppetSettings } from './settings.js';
import { applyingPid, daemonPid, disabledMessage } from './state.js';
import { lastRunOf, loadSummary } from './summary.js';

export interface RunonceDeps {
  startDetached: StartDetached;
  signal(pid: number, signal: NodeJS.Signals): void;
  nowMs(): number;
  /** The Node binary that runs the masterless runner. */
  node: string;
  /** Governor slots, when the daemon's broker offers them (plugin.puppet.governor). */
  governors?: RunGovernors;
  /** Who holds a slot: this node's identity. */
  holder?: string;
  /** True while a process is alive (a held slot is given back once the run's process is gone). */
  alive?: (pid: number) => boolean;
  /** Asks Puppet for its noop setting when a request does not say (Puppet itself by default). */
  printSettings?: SettingsPrinter;
}

export interface RunonceResult {
  summary: string;
  initiated_at: number;
  revision?: string;
  /** Present and true when the run is a no-op: asked for, or Puppet's own noop setting. */
  noop?: true;
}

/** The options every agent-mode run gets before the request's own. */
export const ONETIME_OPTIONS = ['--onetime', '--no-daemonize', '--color=false', '--show_diff', '--verbose'];

async function refuseWhenBusy(paths: PuppetPaths): Promise<void> {
  const message = await disabledMessage(paths);
  if (message !== undefined) throw new PuppetAgentError('disabled', message ? `Puppet is disabled: '${message}'` : 'Puppet is disabled');
  if ((await applyingPid(paths)) !== undefined) {
    throw new PuppetAgentError('applying', 'Puppet is currently applying a catalog, cannot run now');
  }
}

export async function runonce(
  req: RunRequest,
  s: PuppetSettings,
  paths: PuppetPaths,
  deps: RunonceDeps,
  abort?: AbortSignal,
): Promise<RunonceResult> {
  // Cheap refusals first, before anything is locked.
  await refuseWhenBusy(paths);
  if (s.mode === 'agent' && req.revision !== undefined) {
    throw new PuppetAgentError('invalid_input', "Passing 'revision' is only possible in masterless mode (plugin.puppet.mode = apply)");
  }
  const noop = await effectiveNoop(req, s, deps);
  return serially(paths.runonceLockfile, async () => {
    const nowS = () => Math.floor(deps.nowMs() / 1000);
    const lock = await claimRunonceLock(paths.runonceLockfile, nowS(), async () => lastRunOf(await loadSummary(paths.lastrunfile)));
    try {
      // Checked again under the lock: the state may have changed while this request waited for it.
      await refuseWhenBusy(paths);
      const slot = await takeSlot(s, deps, abort);
      // Taken before the run starts, so the run's own record and last run can never predate it.
      const initiatedAt = nowS();
      const record: RecordTo = { file: runRecordFile(paths), initiatedAt };
      if (noop) record.noop = true;
      let started: Started;
      try {
        started =
          s.mode === 'apply'
            ? await startApply(req, noop === true, s, paths, deps, record, abort)
            : await startAgentRun(req, noop, s, paths, deps, record);
      } catch (err) {
        await slot?.release().catch(() => undefined);
        throw err;
      }
      if (slot) void holdUntilRunEnds(slot, started, paths, { alive: deps.alive ?? processAlive });
      await lock.record(started.method, started.pid, initiatedAt);
      const result: RunonceResult = { summary: started.summary, initiated_at: initiatedAt };
      if (started.revision) result.revision = started.revision;
      if (noop) result.noop = true;
      return result;
    } catch (err) {
      await lock.release();
      throw err;
    }
  });
}

/**
 * Whether the run is a no-op: the request's noop when it gives one (`--no-noop` overrides puppet.conf, as with
 * Puppet's own flag), else Puppet's configured noop. A masterless run needs to know (a no-op run must not move the
 * checkout), so it is refused when Puppet cannot say; `puppet agent` reads the setting itself, so an agent-mode run
 * goes ahead, only claiming nothing (undefined).
 */
async function effectiveNoop(req: RunRequest, s: PuppetSettings, deps: RunonceDeps): Promise<boolean | undefined> {
  if (req.noop !== undefined) return req.noop;
  const asked = configuredNoop(s, deps.printSettings ?? printWithPuppet);
  return s.mode === 'apply' ? asked : asked.catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The governor's slot for this run, or undefined without a governor; refuses the run when none came free. */
async function takeSlot(s: PuppetSettings, deps: RunonceDeps, abort?: AbortSignal): Promise<RunSlot | undefined> {
  if (!s.governor) return undefined;
  const { name, maxWaitMs } = s.governor;
  if (!deps.governors) {
    throw new PuppetAgentError(
      'not_allowed',
      `plugin.puppet.governor is '${name}' but this node's broker has no governors (they need NATS with JetStream); refusing to run Puppet ungoverned`,
    );
  }
  let got: Awaited<ReturnType<RunGovernors['acquire']>>;
  try {
    got = await deps.governors.acquire(name, deps.holder ?? 'unknown', maxWaitMs, abort);
  } catch (err) {
    throw new PuppetAgentError('governor_failed', `Could not take a slot on governor '${name}': ${(err as Error).message}`);
  }
  if ('refused' in got) throw new PuppetAgentError('governor_full', `Puppet run refused: ${got.refused}`);
  return got.slot;
}

interface Started {
  method: 'spawn' | 'signal';
  pid: number;
  summary: string;
  revision?: string;
}

async function startAgentRun(
  req: RunRequest,
  noop: boolean | undefined,
  s: PuppetSettings,
  paths: PuppetPaths,
  deps: RunonceDeps,
  record: RecordTo,
): Promise<Started> {
  const daemon = s.signalDaemon ? await daemonPid(paths) : undefined;
  const options = buildRunOptions(req, s, daemon !== undefined);
  if (daemon !== undefined) {
    if (options.length > 0)
      throw new PuppetAgentError('not_allowed', 'Cannot specify any custom puppet options when the daemon is running');
    try {
      deps.signal(daemon, 'SIGUSR1');
    } catch (err) {
      throw new PuppetAgentError('signal_failed', `Failed to signal the puppet agent at pid ${daemon}: ${(err as Error).message}`);
    }
    return { method: 'signal', pid: daemon, summary: 'Signalled the running Puppet Daemon' };
  }
  const argv = [...s.command, ...puppetConfigArgs(s), ...ONETIME_OPTIONS, ...options];
  const pid = await deps.startDetached(argv, s.runLogfile, record);
  return {
    method: 'spawn',
    pid,
    summary: `Started ${noop ? 'a no-op Puppet run' : 'a Puppet run'} using the '${shellCommand(argv)}' command`,
  };
}

/**
 * Characters Ruby's `exec` passes straight to the program: Puppet hands config_version to it as one string, which
 * Ruby splits on blanks and runs directly unless it holds a shell metacharacter (`*?{}[]<>()~&|\\$;'\`"#`, a line
 * break), when it goes through `/bin/sh -c` instead.
 */
const SHELL_FREE_PATH = /^\/[A-Za-z0-9_./+,@:-]*$/;

/** `git -C CODEDIR rev-parse HEAD`, the command whose output Puppet records as the catalog's config_version; never run by a shell. */
export function configVersionCommand(codedir: string): string {
  if (!SHELL_FREE_PATH.test(codedir)) {
    throw new PuppetAgentError(
      'bad_setting',
      `plugin.puppet.codedir '${codedir}' may hold only letters, digits and / . _ + , @ : - (Puppet would run its config_version command through a shell)`,
    );
  }
  return `git -C ${codedir} rev-parse HEAD`;
}

/**
 * The `puppet apply` command line of a masterless run. A preview leaves the catalog summary (resources.txt, which
 * `resource` checks) describing what is applied, not what was previewed.
 */
export function applyArgv(req: RunRequest, s: PuppetSettings, preview = false): string[] {
  const codedir = s.masterless.codedir!;
  const inCode = (p: string) => (isAbsolute(p) ? p : join(codedir, p));
  const summary = preview ? '--no-write-catalog-summary' : '--write-catalog-summary';
  const args = [...s.applyCommand, ...puppetConfigArgs(s), '--color=false', '--show_diff', '--verbose', summary];
  args.push('--config_version', configVersionCommand(codedir));
  if (s.masterless.modulepath) args.push('--modulepath', s.masterless.modulepath.split(':').map(inCode).join(':'));
  args.push(...buildApplyOptions(req), inCode(s.masterless.manifest));
  return args;
}

/** Where a preview's worktree goes: a directory of troupe's beside its run lock, holding only previews. */
export function previewWorktree(paths: Pick<PuppetPaths, 'runonceLockfile'>, nowMs: number): { root: string; dir: string } {
  const root = join(dirname(paths.runonceLockfile), 'troupe_previews');
  return { root, dir: join(root, `preview-${nowMs}`) };
}

async function startApply(
  asked: RunRequest,
  noop: boolean,
  s: PuppetSettings,
  paths: PuppetPaths,
  deps: RunonceDeps,
  record: RecordTo,
  abort?: AbortSignal,
): Promise<Started> {
  if (!s.masterless.codedir)
    throw new PuppetAgentError('bad_setting', 'plugin.puppet.codedir must name the git working copy in masterless mode');
  const codedir = resolve(s.masterless.codedir);
  // A no-op that puppet.conf asks for is passed on as --noop, so the run is the no-op its reply says it is.
  const fromConfig = noop && asked.noop === undefined;
  const req = fromConfig ? { ...asked, noop: true } : asked;
  // Built first so a request it refuses is refused before anything is fetched.
  const inPlace = applyArgv(req, { ...s, masterless: { ...s.masterless, codedir } });
  const splaylimit = applySplayLimit(req, s);
  // A run that names no revision follows the tracked branch, when there is one.
  const revision = req.revision ?? s.masterless.gitTrack;
  const resolved =
    revision === undefined
      ? undefined
      : await resolveRevision(
          {
            codedir,
            remote: s.masterless.gitRemote,
            allowedRefs: s.masterless.gitAllowedRefs,
            timeoutMs: s.masterless.gitTimeoutMs,
            signal: abort,
          },
          revision,
        );
  // A no-op run of a revision (asked for or configured) previews it from a worktree of its own, so the next real run
  // applies what it would have.
  const preview = resolved && noop ? previewWorktree(paths, deps.nowMs()) : undefined;
  const argv = preview ? applyArgv(req, { ...s, masterless: { ...s.masterless, codedir: preview.dir } }, true) : inPlace;
  const spec: ApplyRunSpec = {
    argv,
    codedir,
    commit: resolved?.commit,
    preview,
    splaylimit,
    disabledLockfile: paths.agent_disabled_lockfile,
    runLockfile: paths.agent_catalog_run_lockfile,
    lastrunfile: paths.lastrunfile,
    lastrunreport: paths.lastrunreport,
    gitTimeoutMs: s.masterless.gitTimeoutMs,
  };
  const pid = await deps.startDetached([deps.node, APPLY_RUNNER, JSON.stringify(spec)], s.runLogfile, record);
  const what = preview
    ? `a no-op Puppet run of ${resolved!.commit} in a worktree of its own`
    : noop
      ? 'a no-op Puppet run'
      : 'a Puppet run';
  const why = fromConfig ? " (Puppet's noop setting is true)" : '';
  // The runner splays, not Puppet: the command shows no --splay, so the summary says it.
  const splay = splaylimit > 0 ? `, after a random splay of up to ${splaylimit} seconds` : '';
  const started: Started = { method: 'spawn', pid, summary: `Started ${what}${why} using the '${shellCommand(argv)}' command${splay}` };
  if (resolved) started.revision = resolved.commit;
  return started;
}
