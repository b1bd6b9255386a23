// The record of the last run troupe started on a node, kept by a small detached process that starts the run
// and waits for it: its PID, when it was asked for, whether it is splaying, its exit code and Puppet's own error
// line. Puppet writes nothing when a run dies early (no certificate, server unreachable during SSL bootstrap, a
// broken puppet.conf), so without this record status and `runonce --wait` cannot tell such a run ended.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from './process.js';

export type RunState = 'starting' | 'splaying' | 'running' | 'ended';

export interface RunRecord {
  /** Seconds since the epoch at which the run was requested: runonce's `initiated_at`. */
  initiated_at: number;
  /** The recording process, alive as long as the run. */
  pid: number;
  state: RunState;
  /** While splaying: when the run is due (seconds since the epoch). */
  due_at?: number;
  /** Once ended: when, and how. */
  ended_at?: number;
  exit_code?: number;
  /** Puppet's first telling error line, bounded. */
  error?: string;
}

export interface RecorderSpec {
  argv: string[];
  file: string;
  initiatedAt: number;
  logfile?: string;
}

export const RUN_RECORDER = fileURLToPath(import.meta.url);

/** Longest error line kept: enough for Puppet's message, not a stack trace. */
export const MAX_ERROR_CHARS = 400;

/** Where the record lives: beside troupe's runonce lock. */
export function runRecordFile(paths: { runonceLockfile: string }): string {
  return join(dirname(paths.runonceLockfile), 'troupe_last_run.json');
}

export function bounded(text: string, max = MAX_ERROR_CHARS): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Lines Puppet prints after the one that says what went wrong; never the message worth showing. */
const FOLLOW_ON = [/^Could not retrieve catalog; skipping run/, /^Could not send report/, /^Wrapped exception/, /^Facter:/];

/**
 * Puppet's telling error among its error lines (each without the `Error: ` prefix): the first `Could not …`
 * (Puppet's own summary of a failed run), else the first one; Facter's complaints and follow-on lines skipped.
 */
export function tellingError(lines: readonly string[]): string {
  const candidates = lines.map((l) => l.split('\n')[0]!.trim()).filter((l) => l !== '' && !FOLLOW_ON.some((re) => re.test(l)));
  const chosen = candidates.find((l) => l.startsWith('Could not')) ?? candidates[0];
  return chosen === undefined ? '' : bounded(chosen);
}

function parseRecord(text: string): RunRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<RunRecord>;
    if (typeof r.initiated_at !== 'number' || typeof r.pid !== 'number' || typeof r.state !== 'string') return undefined;
    if (!['starting', 'splaying', 'running', 'ended'].includes(r.state)) return undefined;
    return r as RunRecord;
  } catch {
    return undefined;
  }
}

/**
 * The record, with a run whose recorder died without writing its end (killed, machine rebooted) read as ended
 * with an unknown exit code. Undefined when troupe never started a run here.
 */
export async function readRunRecord(file: string): Promise<RunRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const r = parseRecord(text);
  if (!r) return undefined;
  if (r.state !== 'ended' && !isAlive(r.pid))
    return { ...r, state: 'ended', exit_code: -1, error: r.error ?? 'The run ended without recording how' };
  return r;
}

async function writeRecord(file: string, r: RunRecord): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(r));
  await rename(temp, file);
}

const SPLAY = /Sleeping for (\d+) seconds? \(splay is enabled\)/;

/** Starts the run, follows its output into the log and the record, and exits with the run's exit code. */
export async function recordRun(spec: RecorderSpec): Promise<number> {
  const record: RunRecord = { initiated_at: spec.initiatedAt, pid: process.pid, state: 'starting' };
  // The record is written before anything else: status must see the run from the start.
  await writeRecord(spec.file, record);
  let log: number | undefined;
  if (spec.logfile) {
    mkdirSync(dirname(spec.logfile), { recursive: true });
    log = openSync(spec.logfile, 'a');
  }
  const errors: string[] = [];
  let updates = Promise.resolve();
  const update = (change: Partial<RunRecord>) => {
    Object.assign(record, change);
    const snapshot = { ...record };
    updates = updates.then(() => writeRecord(spec.file, snapshot)).catch(() => undefined);
  };
  const code = await new Promise<number>((resolve) => {
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const onData = (chunk: Buffer) => {
      if (log !== undefined) writeSync(log, chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) scan(line);
    };
    const scan = (line: string) => {
      const splay = SPLAY.exec(line);
      if (splay && record.state === 'starting') update({ state: 'splaying', due_at: Math.floor(Date.now() / 1000) + Number(splay[1]) });
      else if (record.state === 'splaying' && !splay) update({ state: 'running' });
      const err = /(?:^|\s)Error: (.*)$/.exec(line);
      if (err && errors.length < 50) errors.push(err[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // Ending the recorder ends the run (the tests' clean-up, a service stop), and the record still gets written.
    const forward = (signal: NodeJS.Signals) => void child.kill(signal);
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    for (const signal of signals) process.on(signal, forward);
    child.once('close', () => {
      for (const signal of signals) process.off(signal, forward);
    });
    child.once('error', (err) => {
      errors.push(`${spec.argv[0]} could not be started: ${err.message}`);
      resolve(127);
    });
    child.once('close', (c, signal) => {
      if (partial) scan(partial);
      resolve(c ?? (signal ? 128 : 1));
    });
  });
  if (log !== undefined) closeSync(log);
  await updates;
  const ended: RunRecord = { ...record, state: 'ended', ended_at: Math.floor(Date.now() / 1000), exit_code: code };
  const error = tellingError(errors);
  if (error) ended.error = error;
  else delete ended.error;
  await writeRecord(spec.file, ended);
  return code;
}

if (process.argv[1] === RUN_RECORDER) {
  let spec: RecorderSpec;
  try {
    spec = JSON.parse(process.argv[2] ?? '') as RecorderSpec;
  } catch {
    process.stderr.write('usage: run-record.js <recorder spec as JSON>\n');
    process.exit(64);
  }
  recordRun(spec).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
