// One masterless run, in its own detached process: splay, honour the disable lock, hold Puppet's run lock,
// check out the requested commit, `puppet apply`, and record a failed run when Puppet could not record it.
// A no-op preview of a revision never touches the checkout: it applies from a worktree of its own, removed after.
// `puppet apply` takes no run lock and ignores the disable lock, so this is what makes status, enable/disable
// and runall behave as they do with `puppet agent`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { shellCommand } from '../../../config/index.js';
import { git } from './git.js';
import { isAlive } from './process.js';

export interface ApplyRunSpec {
  /** `puppet apply …` with every option, the manifest last. */
  argv: string[];
  codedir: string;
  /** Commit to check out before applying. */
  commit?: string;
  /**
   * A no-op preview of `commit`: it is applied from a detached worktree at `dir` (argv names it as the code
   * directory), beneath `root`, which holds nothing else; the working copy's checkout stays as it was.
   */
  preview?: { root: string; dir: string };
  /** Longest splay in seconds; 0 applies at once. */
  splaylimit: number;
  disabledLockfile: string;
  runLockfile: string;
  lastrunfile: string;
  lastrunreport: string;
  gitTimeoutMs: number;
}

export const APPLY_RUNNER = fileURLToPath(import.meta.url);

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

async function mtime(file: string): Promise<number> {
  return (await stat(file).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
}

/** Takes Puppet's run lock with this process's PID, as `puppet agent` does; false when a live run holds it. */
async function takeRunLock(file: string): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (holder && isAlive(holder)) return false;
    await unlink(file).catch(() => undefined);
  }
  return false;
}

async function releaseRunLock(file: string): Promise<void> {
  const holder = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (holder === String(process.pid)) await unlink(file).catch(() => undefined);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o640 });
  await rename(temp, file);
}

/**
 * What `puppet agent` writes when a run fails before applying a catalog: a summary with a fresh last_run,
 * no config version and zero resources, and a failed report carrying the errors.
 */
export async function recordFailedRun(
  spec: Pick<ApplyRunSpec, 'lastrunfile' | 'lastrunreport'>,
  errors: string[],
  now = new Date(),
): Promise<void> {
  const lastRun = Math.floor(now.getTime() / 1000);
  const summary = {
    version: { config: null },
    application: { run_mode: 'user' },
    resources: {
      changed: 0,
      corrective_change: 0,
      failed: 0,
      failed_to_restart: 0,
      out_of_sync: 0,
      restarted: 0,
      scheduled: 0,
      skipped: 0,
      total: 0,
    },
    time: { total: 0, last_run: lastRun },
    changes: { total: 0 },
    events: { failure: 1, success: 0, total: 1 },
  };
  const report = {
    time: now.toISOString(),
    configuration_version: null,
    status: 'failed',
    transaction_completed: false,
    logs: errors.map((message) => ({ level: 'err', message, source: 'Puppet', tags: ['err'], time: now.toISOString() })),
  };
  await writeAtomically(spec.lastrunfile, '---\n' + stringify(summary, { nullStr: '' }));
  await writeAtomically(spec.lastrunreport, '---\n' + stringify(report, { nullStr: '' }));
}

/**
 * A stop asked of the run once it holds the run lock (SIGTERM, SIGINT): Puppet gets the signal, no later step
 * starts, and the run still cleans up after itself.
 */
let stopSignal: NodeJS.Signals | undefined;
let puppet: ChildProcess | undefined;
const stopOn = (signal: NodeJS.Signals) => () => {
  stopSignal ??= signal;
  puppet?.kill(signal);
};
const STOP_HANDLERS = { SIGTERM: stopOn('SIGTERM'), SIGINT: stopOn('SIGINT') } as const;

/** Runs `puppet apply`, echoing its output to ours, and returns its exit code and its error lines. */
function apply(argv: string[]): Promise<{ code: number; errors: string[] }> {
  return new Promise((resolve) => {
    if (stopSignal) return resolve({ code: 1, errors: [`Stopped by ${stopSignal} before Puppet ran`] });
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    puppet = child;
    const errors: string[] = [];
    const collect = (chunk: Buffer) => {
      process.stdout.write(chunk);
      for (const line of chunk.toString().split('\n'))
        if (line.startsWith('Error:') && !line.includes('Facter:')) errors.push(line.slice(7).trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => resolve({ code: 1, errors: [`${argv[0]} could not be started: ${err.message}`] }));
    child.once('close', (code) => {
      puppet = undefined;
      resolve({ code: code ?? 1, errors });
    });
  });
}

/**
 * Removes every preview worktree under `root` and what git knows of them. Runs hold the run lock, so any found
 * there is a leftover of a run that died (killed, crashed) before removing its own.
 */
export async function clearPreviews(codedir: string, root: string, timeoutMs: number): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await git(codedir, ['worktree', 'prune'], timeoutMs);
}

/** Checks out what the run applies: the commit in the working copy, or a preview's worktree of it. */
async function checkOut(spec: ApplyRunSpec & { commit: string }): Promise<void> {
  if (!spec.preview) {
    await git(spec.codedir, ['checkout', '--quiet', '--force', '--detach', spec.commit], spec.gitTimeoutMs);
    log(`Checked out ${spec.commit} in ${spec.codedir}`);
    return;
  }
  const { root, dir } = spec.preview;
  await clearPreviews(spec.codedir, root, spec.gitTimeoutMs);
  await mkdir(root, { recursive: true, mode: 0o700 });
  await git(spec.codedir, ['worktree', 'add', '--quiet', '--detach', dir, spec.commit], spec.gitTimeoutMs);
  log(`Previewing ${spec.commit} in the worktree ${dir}; ${spec.codedir} stays as it is`);
}

export async function runApply(spec: ApplyRunSpec): Promise<number> {
  if (spec.splaylimit > 0) {
    const seconds = Math.floor(Math.random() * (spec.splaylimit + 1));
    log(`Sleeping for ${seconds} seconds (splay is enabled)`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
  const disabled = await readFile(spec.disabledLockfile, 'utf8').catch(() => undefined);
  if (disabled !== undefined) {
    log(`Skipping run of Puppet configuration client; administratively disabled (${disabled.trim()})`);
    return 1;
  }
  if (!(await takeRunLock(spec.runLockfile))) {
    log(`Run of Puppet configuration client already in progress; skipping (${spec.runLockfile} exists)`);
    return 1;
  }
  for (const [signal, handler] of Object.entries(STOP_HANDLERS)) process.on(signal, handler);
  try {
    const before = await mtime(spec.lastrunfile);
    if (spec.commit) {
      try {
        await checkOut({ ...spec, commit: spec.commit });
      } catch (err) {
        await recordFailedRun(spec, [`Could not check out ${spec.commit} in ${spec.codedir}: ${(err as Error).message}`]);
        return 1;
      }
    }
    log(`Running ${shellCommand(spec.argv)}`);
    const result = await apply(spec.argv);
    log(`puppet apply exited with ${result.code}`);
    if ((await mtime(spec.lastrunfile)) === before) {
      await recordFailedRun(
        spec,
        result.errors.length ? result.errors : [`puppet apply exited with ${result.code} without recording the run`],
      );
    }
    return result.code;
  } finally {
    if (spec.preview) {
      await clearPreviews(spec.codedir, spec.preview.root, spec.gitTimeoutMs).catch((err: Error) =>
        log(`Could not remove the preview worktree ${spec.preview!.dir}: ${err.message}`),
      );
    }
    await releaseRunLock(spec.runLockfile);
    for (const [signal, handler] of Object.entries(STOP_HANDLERS)) process.off(signal, handler);
  }
}

if (process.argv[1] === APPLY_RUNNER) {
  let spec: ApplyRunSpec;
  try {
    spec = JSON.parse(process.argv[2] ?? '') as ApplyRunSpec;
  } catch {
    process.stderr.write('usage: apply-runner.js <run spec as JSON>\n');
    process.exit(64);
  }
  runApply(spec).then(
    (code) => process.exit(code),
    (err: Error) => {
      log(`run failed: ${err.message}`);
      process.exit(1);
    },
  );
}
