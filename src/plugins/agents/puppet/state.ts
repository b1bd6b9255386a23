// The agent's state, read only from Puppet's own files: disable lock, run lock, daemon pidfile and last run summary.
import { readFile } from 'node:fs/promises';
import { livePid } from './process.js';
import type { PuppetPaths } from './paths.js';
import { lastRunOf, loadSummary, secondsToHuman } from './summary.js';

export type StatusWord = 'disabled' | 'applying a catalog' | 'idling' | 'stopped';

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

export function statusWord(s: { enabled: boolean; applying: boolean; idling: boolean }): StatusWord {
  if (!s.enabled) return 'disabled';
  if (s.applying) return 'applying a catalog';
  if (s.idling) return 'idling';
  return 'stopped';
}

export async function readStatus(paths: PuppetPaths, nowMs = Date.now()): Promise<AgentStatus> {
  const [message, applying, daemon, summary] = await Promise.all([
    disabledMessage(paths),
    applyingPid(paths),
    daemonPid(paths),
    loadSummary(paths.lastrunfile),
  ]);
  const enabled = message === undefined;
  const daemonPresent = daemon !== undefined;
  const isApplying = applying !== undefined;
  const idling = daemonPresent && !isApplying;
  const status = statusWord({ enabled, applying: isApplying, idling });
  const lastrun = lastRunOf(summary);
  const since = lastrun > 0 ? Math.max(0, Math.floor(nowMs / 1000) - lastrun) : undefined;
  const result: AgentStatus = {
    applying: isApplying,
    idling,
    enabled,
    daemon_present: daemonPresent,
    lastrun,
    status,
    disable_message: message ?? '',
    message:
      since === undefined
        ? `Currently ${status}; no completed run recorded`
        : `Currently ${status}; last completed run ${secondsToHuman(since)} ago`,
  };
  if (since !== undefined) result.since_lastrun = since;
  return result;
}
