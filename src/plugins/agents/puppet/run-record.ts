// The record of the last run troupe started on a node: its PID, when it was asked for, where its output goes, and
// once it ended, its exit code and Puppet's own error line. Puppet writes nothing when a run dies early (no
// certificate, server unreachable during SSL bootstrap, a broken puppet.conf), so without this record neither
// status nor `runonce --wait` could tell such a run had ended. The daemon that started the run writes its end when
// the process exits; a run it lost track of (the daemon restarted) reads as ended with an unknown exit code.
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isAlive } from './process.js';

export type RunState = 'starting' | 'splaying' | 'running' | 'ended';

export interface RunRecord {
  /** Seconds since the epoch at which the run was requested: runonce's `initiated_at`. */
  initiated_at: number;
  /** The run's process. */
  pid: number;
  /** As written: `running` or `ended`; as read, a running run may be `starting` or `splaying`. */
  state: RunState;
  /** The file the run's output goes to, and where in it this run's output starts. */
  output?: string;
  offset?: number;
  /** Present and true when the run is a no-op: it applies nothing. */
  noop?: true;
  /** Milliseconds since the epoch at which the process started. */
  started_ms?: number;
  /** While splaying: when the run is due (seconds since the epoch). */
  due_at?: number;
  /** Once ended: when, and how. */
  ended_at?: number;
  exit_code?: number;
  /** Puppet's first telling error line, bounded. */
  error?: string;
}

/** Longest error line kept: enough for Puppet's message, not a stack trace. */
export const MAX_ERROR_CHARS = 400;
/** Most output read back of one run: Puppet's errors come early or last, never megabytes in. */
const MAX_OUTPUT_READ = 1 << 20;
const SPLAY_SCAN = 16 << 10;

/** Where the record lives: beside troupe's runonce lock. */
export function runRecordFile(paths: { runonceLockfile: string }): string {
  return join(dirname(paths.runonceLockfile), 'troupe_last_run.json');
}

/** Where a run's output goes when no run_logfile is set: one run's worth, beside the record. */
export function runOutputFile(recordFile: string): string {
  return join(dirname(recordFile), 'troupe_last_run.out');
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

const SPLAY = /Sleeping for (\d+) seconds? \(splay is enabled\)/;

/** What a run's output says: how long it splays (Puppet's and the masterless runner's line), and its error lines. */
export function scanOutput(text: string): { splaySeconds?: number; errors: string[] } {
  const errors: string[] = [];
  let splaySeconds: number | undefined;
  for (const line of text.split('\n')) {
    const splay = splaySeconds === undefined ? SPLAY.exec(line) : null;
    if (splay) splaySeconds = Number(splay[1]);
    const err = /(?:^|\s)Error: (.*)$/.exec(line);
    if (err && errors.length < 50) errors.push(err[1]!);
  }
  return splaySeconds === undefined ? { errors } : { splaySeconds, errors };
}

/** This run's output so far (bounded), from its offset in the output file. */
async function outputOf(r: RunRecord, max = MAX_OUTPUT_READ): Promise<string> {
  if (!r.output) return '';
  const handle = await open(r.output, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(max), 0, max, r.offset ?? 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return '';
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string): RunRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<RunRecord>;
    if (typeof r.initiated_at !== 'number' || typeof r.pid !== 'number' || (r.state !== 'running' && r.state !== 'ended')) return undefined;
    return r as RunRecord;
  } catch {
    return undefined;
  }
}

/** The end of a run, from its exit code and its output. */
export async function endOf(r: RunRecord, exitCode: number, nowMs = Date.now()): Promise<RunRecord> {
  const ended: RunRecord = { ...r, state: 'ended', ended_at: Math.floor(nowMs / 1000), exit_code: exitCode };
  const error = tellingError(scanOutput(await outputOf(r)).errors);
  if (error) ended.error = error;
  return ended;
}

/**
 * The record as it stands now: a running run is `starting` until its output says it splays, `splaying` until
 * it is due, then `running`; one whose process is gone without a recorded end reads as ended, exit code unknown.
 * Undefined when troupe never started a run here.
 */
export async function readRunRecord(file: string, nowMs = Date.now()): Promise<RunRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const r = text === undefined ? undefined : parseRecord(text);
  if (!r || r.state === 'ended') return r;
  if (!isAlive(r.pid)) return endOf(r, -1, nowMs);
  // The splay line is among a run's first: its head is enough.
  const { splaySeconds } = scanOutput(await outputOf(r, SPLAY_SCAN));
  if (splaySeconds === undefined) return { ...r, state: 'starting' };
  const dueAt = Math.floor((r.started_ms ?? nowMs) / 1000) + splaySeconds;
  return dueAt > nowMs / 1000 ? { ...r, state: 'splaying', due_at: dueAt } : { ...r, state: 'running' };
}

export async function writeRunRecord(file: string, r: RunRecord): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(r));
  await rename(temp, file);
}
