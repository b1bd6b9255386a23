// mco puppet summary: the spread of last-run figures across the fleet, one sparkline per figure.
import { paletteFor } from '../../render/palette.js';
import { formatStats } from '../../render/text.js';
import type { ClientSession } from '../../session.js';
import { puppetRequest, type PuppetContext } from './request.js';
import { distribution, shortNumber, sparkline, type Distribution } from './sparkline.js';

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

/** Distributions of every row over the replies; values that are not numbers (no run yet) are left out. */
export function summaryStatistics(replies: ReadonlyArray<Record<string, unknown>>): Record<string, Distribution> {
  const result: Record<string, Distribution> = {};
  for (const [, field] of SUMMARY_ROWS) {
    const values = replies.map((d) => d[field]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    result[field] = distribution(values);
  }
  return result;
}

export function renderSummary(nodes: number, stats: Record<string, Distribution>): string {
  const width = Math.max(...SUMMARY_ROWS.map(([label]) => label.length)) + 2;
  const lines = [`Summary statistics for ${nodes} nodes:`, ''];
  for (const [label, field] of SUMMARY_ROWS) {
    const d = stats[field]!;
    const figures = d.count === 0 ? 'no data' : `min: ${shortNumber(d.min).padEnd(7)} avg: ${shortNumber(d.avg).padEnd(7)} max: ${shortNumber(d.max)}`;
    lines.push(`${label.padStart(width)}: ${sparkline(d.histogram)}  ${figures}`);
  }
  return lines.join('\n') + '\n';
}

export async function summaryCommand(session: ClientSession, ctx: PuppetContext): Promise<number> {
  const outcome = await puppetRequest(session, ctx, 'last_run_summary', {});
  if (typeof outcome === 'number') return outcome;
  const ok = outcome.results.ok();
  const stats = summaryStatistics(ok.map((r) => r.data));
  const { out } = session;
  if (ctx.output.json) {
    const nodes = Object.fromEntries(
      [...ok].sort((a, b) => a.sender.localeCompare(b.sender)).map((r) => [r.sender, Object.fromEntries(SUMMARY_ROWS.map(([, f]) => [f, r.data[f] ?? null]).concat([['config_version', r.data.config_version ?? null], ['lastrun', r.data.lastrun ?? null]]))]),
    );
    const failed = outcome.results.failed().map((r) => ({ sender: r.sender, statusmsg: r.statusmsg }));
    out.write(JSON.stringify({ nodes: ok.length, statistics: stats, per_node: nodes, failed, no_responses: outcome.stats.noResponse }, null, 2) + '\n');
    return outcome.exitCode;
  }
  const c = paletteFor(out, session.defaults.color);
  out.write(renderSummary(ok.length, stats));
  for (const r of outcome.results.failed()) out.write(`${r.sender}: ${c.red(r.statusmsg)}\n`);
  out.write(formatStats(outcome.stats, ctx.output.verbose, 'rpc stats', c));
  return outcome.exitCode;
}
