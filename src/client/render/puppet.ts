// mco puppet: each subcommand's outcome as the anchors print it, and the timestamped lines of run tracking.
import { renderAggregate } from '../../ddl/index.js';
import type { CountReport, PuppetOutcome, RunallOutcome, RunonceWaited, StatusReport, SummaryReport } from '../apps/puppet/index.js';
import { shortNumber, sparkline, type Distribution } from '../apps/puppet/sparkline.js';
import { SUMMARY_ROWS } from '../apps/puppet/summary.js';
import { jsonReport } from './json.js';
import { json, toOut, type Rendered } from './rendered.js';
import { renderCommon, renderRequestReport, type ReportOptions } from './request.js';
import { formatStats } from './text.js';

/** `YYYY-MM-DD HH:MM:SS`, local time, as the anchors stamp their progress lines. */
export function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function logLine(at: Date, message: string): string {
  return `${timestamp(at)}: ${message}\n`;
}

/** The status message a node gave; the DDL declares it a string. */
const messageOf = (data: Record<string, unknown>): string => {
  const m = data.message;
  return m === undefined || m === null ? '' : typeof m === 'string' ? m : JSON.stringify(m);
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** -v: what the one-line message leaves out: why the node is disabled, its last run, the run troupe started. */
export function statusDetails(d: Record<string, unknown>): string[] {
  const lines: string[] = [];
  if (d.enabled === false) lines.push(`Disabled: ${str(d.disable_message) || 'reason not specified'}`);
  const last = str(d.last_run_status);
  if (last && last !== 'none') {
    const failed = Number(d.failed_resources) > 0 ? `, ${Number(d.failed_resources)} failed resource(s)` : '';
    lines.push(`Last run: ${last}${failed}${d.last_run_failed === true && str(d.last_run_error) ? `: ${str(d.last_run_error)}` : ''}`);
  }
  const run = str(d.run_state);
  if (run && run !== 'none') {
    const at = Number(d.run_initiated_at) > 0 ? ` (requested ${new Date(Number(d.run_initiated_at) * 1000).toISOString()})` : '';
    const exit = run === 'ended' ? `, exit code ${Number(d.run_exit_code)}` : '';
    lines.push(`Requested run: ${run}${at}${exit}${str(d.run_error) && Number(d.run_exit_code) !== 0 ? `: ${str(d.run_error)}` : ''}`);
  }
  return lines;
}

/** `Scheduled runs: …` when nodes run Puppet on a schedule (plugin.puppet.runinterval): how many, and the next one due. */
export function scheduleLine(replies: ReadonlyArray<{ statuscode: number; data: Record<string, unknown> }>): string {
  const due = replies
    .map((x) => (x.statuscode === 0 ? x.data.next_run : undefined))
    .filter((t): t is number => typeof t === 'number' && t > 0);
  if (due.length === 0) return '';
  return `Scheduled runs: ${due.length} of ${replies.length} node(s), the next due ${timestamp(new Date(Math.min(...due) * 1000))}\n\n`;
}

function renderStatus(o: StatusReport, opts: ReportOptions): string {
  const r = o.request;
  if (opts.json) return json(jsonReport('puppet', 'status', r.replies, r.stats, r.summaries));
  const c = opts.palette;
  const replies = [...r.replies].sort((a, b) => a.sender.localeCompare(b.sender));
  const width = Math.max(0, ...replies.map((x) => x.sender.length)) + 3;
  let text = '';
  for (const x of replies) {
    const failed = x.statuscode === 0 && x.data.last_run_failed === true;
    text += `${x.sender.padStart(width)}: ${x.statuscode !== 0 ? c.red(x.statusmsg) : failed ? c.red(messageOf(x.data)) : messageOf(x.data)}\n`;
    if (opts.verbose && x.statuscode === 0) for (const line of statusDetails(x.data)) text += `${' '.repeat(width + 2)}${line}\n`;
  }
  text += '\n';
  text += scheduleLine(replies);
  for (const s of r.summaries) text += renderAggregate(s).join('\n') + '\n\n';
  return text + formatStats(r.stats, opts.verbose, 'rpc stats', c);
}

function renderCount(o: CountReport, opts: ReportOptions): string {
  const { counts } = o;
  if (opts.json) return json({ counts, no_responses: o.noResponse });
  const c = opts.palette;
  const row = (label: string, value: number) => `${label.padStart(33)}: ${value}\n`;
  let text = `Total Puppet nodes: ${counts.total}\n\n`;
  text += row('Nodes currently enabled', counts.enabled) + row('Nodes currently disabled', counts.disabled) + '\n';
  text += row('Nodes currently doing puppet runs', counts.applying) + row('Nodes waiting to run (splay)', counts.splaying);
  text += row('Nodes currently stopped', counts.stopped) + '\n';
  text += row('Nodes with daemons started', counts.daemons) + row('Nodes without daemons started', counts.noDaemons);
  text += row('Daemons started but idling', counts.idling) + '\n';
  const failedRow = row('Nodes whose last run failed', counts.lastRunFailed);
  text += (counts.lastRunFailed > 0 ? c.red(failedRow.trimEnd()) + '\n' : failedRow) + row('Nodes that never ran Puppet', counts.neverRun);
  if (counts.failed > 0) text += '\n' + c.red(`Failed to retrieve status of ${counts.failed} node${counts.failed === 1 ? '' : 's'}`) + '\n';
  if (o.noResponse.length > 0) text += '\n' + c.red(`No response from ${o.noResponse.length} node(s): ${o.noResponse.join(', ')}`) + '\n';
  return text;
}

/** One sparkline per SUMMARY_ROWS figure, with its min, average and max; never-run nodes are not in the figures. */
export function renderSummary(nodes: number, stats: Record<string, Distribution>, neverRun = 0): string {
  const width = Math.max(...SUMMARY_ROWS.map(([label]) => label.length)) + 2;
  const lines = [`Summary statistics for ${nodes} nodes:`, ''];
  if (neverRun > 0) {
    lines.splice(1, 0, `${neverRun} of them never recorded a Puppet run and ${neverRun === 1 ? 'is' : 'are'} left out of the figures`);
  }
  for (const [label, field] of SUMMARY_ROWS) {
    const d = stats[field]!;
    const figures =
      d.count === 0 ? 'no data' : `min: ${shortNumber(d.min).padEnd(7)} avg: ${shortNumber(d.avg).padEnd(7)} max: ${shortNumber(d.max)}`;
    lines.push(`${label.padStart(width)}: ${sparkline(d.histogram)}  ${figures}`);
  }
  return lines.join('\n') + '\n';
}

function renderSummaryReport(o: SummaryReport, opts: ReportOptions): string {
  if (opts.json)
    return json({
      nodes: o.nodes,
      statistics: o.statistics,
      per_node: o.perNode,
      never_run: o.neverRun,
      failed_runs: o.failedRuns,
      failed: o.failed,
      no_responses: o.stats.noResponse,
    });
  const c = opts.palette;
  let text = renderSummary(o.nodes, o.statistics, o.neverRun.length);
  if (o.failedRuns.length > 0) {
    text += '\n' + c.red(`Last run failed on ${o.failedRuns.length} of ${o.nodes} node${o.nodes === 1 ? '' : 's'}:`) + '\n\n';
    const width = Math.max(...o.failedRuns.map((f) => f.sender.length));
    for (const f of o.failedRuns) text += `   ${f.sender.padEnd(width)}  ${f.error || 'see its last run report'}\n`;
    text += '\n';
  }
  for (const f of o.failed) text += `${f.sender}: ${c.red(f.statusmsg)}\n`;
  return text + formatStats(o.stats, opts.verbose, 'rpc stats', c);
}

/** runonce --wait; in text the request's report came before the wait (the `runs_started` event). */
function renderRunsWaited(o: RunonceWaited, opts: ReportOptions): string {
  const r = o.request;
  if (opts.json) return json({ ...jsonReport('puppet', 'runonce', r.replies, r.stats, r.summaries), runs: o.runs, failed_nodes: o.failed });
  const c = opts.palette;
  const width = Math.max(0, ...o.runs.map((x) => x.sender.length));
  let text = '\nRun results:\n\n';
  for (const x of o.runs) text += `   ${x.sender.padEnd(width)}  ${x.ok ? c.green('OK    ') : c.red('FAILED')}  ${x.message}\n`;
  text += `\n${o.runs.length - o.failed.length} of ${o.runs.length} node(s) completed their run successfully\n`;
  if (o.failed.length > 0) text += c.red(`Failed nodes: ${o.failed.join(', ')}`) + '\n';
  return text;
}

/** One runall pass; -v indents its JSON. */
export function renderRunallPass(o: RunallOutcome, opts: ReportOptions): Rendered {
  if (o.kind === 'no_nodes') return renderCommon(o, opts.json);
  const { report } = o;
  if (opts.json) return toOut(JSON.stringify(report, null, opts.verbose ? 2 : undefined) + '\n');
  const failed = report.runs.filter((r) => r.result !== 'finished');
  if (failed.length === 0) return toOut('');
  return toOut(`\nNodes without a completed run:\n\n` + failed.map((r) => `   ${r.host}: ${r.result}: ${r.message}\n`).join(''));
}

export function renderPuppet(o: PuppetOutcome, opts: ReportOptions): Rendered {
  switch (o.kind) {
    case 'no_nodes':
    case 'sent':
      return renderCommon(o, opts.json);
    case 'replies':
      return toOut(renderRequestReport(o, opts));
    case 'status':
      return toOut(renderStatus(o, opts));
    case 'count':
      return toOut(renderCount(o, opts));
    case 'summary':
      return toOut(renderSummaryReport(o, opts));
    case 'runonce_wait':
      return toOut(renderRunsWaited(o, opts));
    case 'runall':
      return renderRunallPass(o, opts);
  }
}
