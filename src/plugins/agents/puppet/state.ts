// The agent's state, read only from Puppet's own files: disable lock, run lock, daemon pidfile and last run summary.
import { readFile } from 'node:fs/promises';
import { livePid } from './process.js';
import type { PuppetPaths } from './paths.js';
import { readRunRecord, runRecordFile, type RunRecord, type RunState } from './run-record.js';
import { lastRunOf, lastRunVerdict, loadReportInfo, loadSummary, secondsToHuman, type LastRunVerdict, type RunSummary } from './summary.js';

export type StatusWord = 'disabled' | 'applying a catalog' | 'splaying' | 'starting a run' | 'idling' | 'stopped';

export interface AgentStatus {
  applying: boolean;
  idling: boolean;
  enabled: boolean;
  daemon_present: boolean;
  lastrun: number;
  /** Absent when no run ever completed (the DDL default "Unknown" applies). */
  since_lastrun?: number;
  status: StatusWord;
  disable_message: string;
  message: string;
  /** `failed`, `changed`, `unchanged`, or `none` when no run was recorded. */
  last_run_status: string;
  last_run_failed: boolean;
  /** The last run was a no-op: it applied nothing. */
  last_run_noop: boolean;
  failed_resources: number;
  /** Puppet's error line for a failed last run, bounded; '' otherwise. */
  last_run_error: string;
  /** The last run troupe started here: `none`, `starting`, `splaying`, `running` or `ended`. */
  run_state: RunState | 'none';
  run_initiated_at: number;
  /** While splaying: when the run is due, seconds since the epoch; else 0. */
  run_due_at: number;
  /** Once ended: its exit code; -1 before that, or when unknown. */
  run_exit_code: number;
  run_error: string;
}

export interface LastRun {
  summary: RunSummary;
  lastrun: number;
  verdict: LastRunVerdict;
  record?: RunRecord;
  /** The requested run ended without Puppet recording it (exited early: no certificate, no server, bad config). */
  unrecorded: boolean;
}

/** The last run as Puppet recorded it, and as troupe saw its process end when Puppet recorded nothing. */
export async function readLastRun(paths: PuppetPaths, nowMs = Date.now()): Promise<LastRun> {
  const [summary, report, record] = await Promise.all([
    loadSummary(paths.lastrunfile),
    loadReportInfo(paths.lastrunreport),
    readRunRecord(runRecordFile(paths), nowMs),
  ]);
  const lastrun = lastRunOf(summary);
  let verdict = lastRunVerdict(summary, report);
  const unrecorded = record?.state === 'ended' && record.exit_code !== 0 && record.initiated_at > lastrun;
  if (unrecorded) {
    const error = record.error || `Puppet exited with ${record.exit_code ?? -1} without recording the run`;
    verdict = { ...verdict, status: 'failed', failed: true, error, noop: record.noop === true };
  }
  const result: LastRun = { summary, lastrun, verdict, unrecorded };
  if (record) result.record = record;
  return result;
}

/** The disable lock's message, or undefined when the agent is enabled. Puppet writes `{"disabled_message": "…"}`. */
export async function disabledMessage(paths: Pick<PuppetPaths, 'agent_disabled_lockfile'>): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(paths.agent_disabled_lockfile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const json = JSON.parse(text) as { disabled_message?: unknown };
    return typeof json?.disabled_message === 'string' ? json.disabled_message : '';
  } catch {
    // An empty or hand-made lock still means disabled.
    return '';
  }
}

/** PID of the run holding Puppet's catalog run lock, when that process is alive. */
export async function applyingPid(paths: Pick<PuppetPaths, 'agent_catalog_run_lockfile'>): Promise<number | undefined> {
  return livePid(paths.agent_catalog_run_lockfile);
}

/** PID of a running Puppet agent daemon (its pidfile names a live process). */
export async function daemonPid(paths: Pick<PuppetPaths, 'pidfile'>): Promise<number | undefined> {
  return livePid(paths.pidfile);
}

export function statusWord(s: { enabled: boolean; applying: boolean; idling: boolean; pending?: 'splaying' | 'starting' }): StatusWord {
  if (!s.enabled) return 'disabled';
  if (s.applying) return 'applying a catalog';
  if (s.pending === 'splaying') return 'splaying';
  if (s.pending === 'starting') return 'starting a run';
  if (s.idling) return 'idling';
  return 'stopped';
}

function describeRun(status: StatusWord, nowS: number, last: LastRun): string {
  const { record, verdict, lastrun } = last;
  let text = `Currently ${status}`;
  if (status === 'splaying' && record?.due_at) text += `: run due in ${Math.max(0, record.due_at - nowS)} s`;
  if (last.unrecorded && record) {
    text += `; the run requested ${secondsToHuman(nowS - record.initiated_at)} ago exited with ${record.exit_code}`;
    text += verdict.error ? `: ${verdict.error}` : '';
    return text + (lastrun > 0 ? `; last recorded run ${secondsToHuman(nowS - lastrun)} ago` : '; no completed run recorded');
  }
  if (lastrun === 0) return `${text}; no completed run recorded`;
  const ago = secondsToHuman(Math.max(0, nowS - lastrun));
  if (verdict.failed)
    return `${text}; last ${verdict.noop ? 'no-op ' : ''}run ${ago} ago failed${verdict.error ? `: ${verdict.error}` : ''}`;
  return `${text}; last completed ${verdict.noop ? 'no-op ' : ''}run ${ago} ago`;
}

export async function readStatus(paths: PuppetPaths, nowMs = Date.now()): Promise<AgentStatus> {
  const [message, applying, daemon, last] = await Promise.all([
    disabledMessage(paths),
    applyingPid(paths),
    daemonPid(paths),
    readLastRun(paths, nowMs),
  ]);
  const nowS = Math.floor(nowMs / 1000);
  const enabled = message === undefined;
  const daemonPresent = daemon !== undefined;
  const isApplying = applying !== undefined;
  const idling = daemonPresent && !isApplying;
  const { record, verdict, lastrun } = last;
  const pending =
    record === undefined || record.state === 'ended'
      ? undefined
      : record.state === 'splaying' && (record.due_at ?? 0) > nowS
        ? ('splaying' as const)
        : ('starting' as const);
  const status = statusWord({ enabled, applying: isApplying, idling, pending });
  const since = lastrun > 0 ? Math.max(0, nowS - lastrun) : undefined;
  const result: AgentStatus = {
    applying: isApplying,
    idling,
    enabled,
    daemon_present: daemonPresent,
    lastrun,
    status,
    disable_message: message ?? '',
    message: describeRun(status, nowS, last),
    last_run_status: verdict.status,
    last_run_failed: verdict.failed,
    last_run_noop: verdict.noop,
    failed_resources: verdict.failedResources,
    last_run_error: verdict.error,
    run_state: record?.state ?? 'none',
    run_initiated_at: record?.initiated_at ?? 0,
    run_due_at: pending === 'splaying' ? (record?.due_at ?? 0) : 0,
    run_exit_code: record?.state === 'ended' ? (record.exit_code ?? -1) : -1,
    run_error: record?.error ?? '',
  };
  if (since !== undefined) result.since_lastrun = since;
  return result;
}
