// mco puppet summary: the spread of last-run figures across the fleet.
import type { RequestStats } from '../../results.js';
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import type { NoNodes } from '../shared.js';
import { isNoNodes, puppetRequest, type PuppetContext } from './request.js';
import { distribution, type Distribution } from './sparkline.js';

/** The rows shown, in the anchors' order: label and the last_run_summary output it reads. */
export const SUMMARY_ROWS: ReadonlyArray<[label: string, field: string]> = [
  ['Total resources', 'total_resources'],
  ['Out Of Sync resources', 'out_of_sync_resources'],
  ['Failed resources', 'failed_resources'],
  ['Changed resources', 'changed_resources'],
  ['Corrected resources', 'corrected_resources'],
  ['Config Retrieval time (seconds)', 'config_retrieval_time'],
  ['Total run-time (seconds)', 'total_time'],
  ['Time since last run (seconds)', 'since_lastrun'],
];

export interface SummaryReport {
  kind: 'summary';
  /** Nodes that answered with their last run summary. */
  nodes: number;
  /** Of those, the ones that never recorded a run: left out of the statistics. */
  neverRun: string[];
  /** Nodes whose last run failed, with Puppet's error line. */
  failedRuns: Array<{ sender: string; error: string }>;
  /** Per SUMMARY_ROWS field, its distribution over the nodes that have a figure. */
  statistics: Record<string, Distribution>;
  /** Per node (sorted), every SUMMARY_ROWS field, config_version and lastrun; null where missing. */
  perNode: Record<string, Record<string, unknown>>;
  failed: Array<{ sender: string; statusmsg: string }>;
  stats: RequestStats;
  exitCode: number;
}

/** Distributions of every row over the replies; values that are not numbers (no run yet) are left out. */
export function summaryStatistics(replies: ReadonlyArray<Record<string, unknown>>): Record<string, Distribution> {
  const result: Record<string, Distribution> = {};
  for (const [, field] of SUMMARY_ROWS) {
    const values = replies.map((d) => d[field]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    result[field] = distribution(values);
  }
  return result;
}

export async function summaryCommand(session: ClientSession, ctx: PuppetContext, onEvent: OnEvent): Promise<SummaryReport | NoNodes> {
  const outcome = await puppetRequest(session, ctx, 'last_run_summary', {}, onEvent);
  if (isNoNodes(outcome)) return outcome;
  const ok = outcome.results.ok();
  const ran = (d: Record<string, unknown>) => Number(d.lastrun) > 0;
  const fields = (d: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      [...SUMMARY_ROWS.map(([, f]) => f), 'config_version', 'lastrun', 'last_run_status', 'last_run_failed', 'last_run_error'].map((f) => [
        f,
        d[f] ?? null,
      ]),
    );
  return {
    kind: 'summary',
    nodes: ok.length,
    neverRun: ok
      .filter((r) => !ran(r.data))
      .map((r) => r.sender)
      .sort(),
    failedRuns: ok
      .filter((r) => r.data.last_run_failed === true)
      .sort((a, b) => a.sender.localeCompare(b.sender))
      .map((r) => ({ sender: r.sender, error: typeof r.data.last_run_error === 'string' ? r.data.last_run_error : '' })),
    // A node that never ran has no figures: counted as zeros it would drag every minimum and average down.
    statistics: summaryStatistics(ok.filter((r) => ran(r.data)).map((r) => r.data)),
    perNode: Object.fromEntries([...ok].sort((a, b) => a.sender.localeCompare(b.sender)).map((r) => [r.sender, fields(r.data)])),
    failed: outcome.results.failed().map((r) => ({ sender: r.sender, statusmsg: r.statusmsg })),
    stats: outcome.stats,
    exitCode: outcome.exitCode,
  };
}
