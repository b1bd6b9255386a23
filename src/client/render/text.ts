// Text output in MCollective's layout: per-node results, DDL summaries, the stats block, missing nodes.
import type { ActionDDL } from '../../ddl/index.js';
import { STATUS_WORDS } from '../../protocol/index.js';
import type { Reply, RequestStats } from '../results.js';
import { displayValue, rubyInspect } from './inspect.js';
import type { Palette } from './palette.js';

/** `-v`: sender and status message, then the data inspected. */
export function formatVerboseReply(r: Reply, c: Palette): string {
  const status = r.statuscode === 0 ? c.green(r.statusmsg) : c.red(r.statusmsg);
  return `${r.sender.padEnd(40)}: ${status}\n    ${rubyInspect(r.data)}\n\n`;
}

/** The default: sender, a status word when it failed, then each output under its DDL label. */
export function formatReply(r: Reply, action: ActionDDL | undefined, c: Palette): string {
  const lines: string[] = [];
  if (r.statuscode === 0) lines.push(r.sender);
  else lines.push(`${r.sender.padEnd(40)} ${c.red(STATUS_WORDS[r.statuscode] ?? 'Unknown Request Status')}`);
  if (r.statuscode !== 0) lines.push(`   ${c.yellow(r.statusmsg)}`);
  const outputs = action?.output ?? {};
  const keys = Object.keys(r.data);
  const label = (k: string) => outputs[k]?.display_as ?? k;
  const width = Math.max(0, ...keys.map((k) => label(k).length)) + 3;
  for (const k of keys) lines.push(`${label(k).padStart(width)}: ${displayValue(r.data[k], width + 2)}`);
  return lines.join('\n') + '\n\n';
}

export function formatStats(s: RequestStats, verbose: boolean, caption: string, c: Palette): string {
  // As MCollective's RPC::Stats#report: the short line times the agent phase only, and without discovery
  // there is no "discovered" figure to show.
  if (!verbose) {
    const hosts = s.discovered === undefined ? `${s.responses}` : `${s.responses} / ${s.discovered}`;
    const line = `Finished processing ${hosts} hosts in ${s.agentMs.toFixed(2)} ms`;
    const complete = s.discovered === undefined || s.responses >= s.discovered;
    return `\n${complete ? line : c.red(line)}\n` + formatMissing(s, c);
  }
  const row = (label: string, value: string) => `${label.padStart(16)}: ${value}\n`;
  return (
    `---- ${caption} ----\n` +
    row('Nodes', s.discovered === undefined ? `${s.responses}` : `${s.discovered} / ${s.responses}`) +
    row('Pass / Fail', `${s.ok} / ${s.failed}`) +
    row('Start Time', s.startTime.toISOString()) +
    row('Discovery Time', `${s.discoveryMs.toFixed(2)}ms`) +
    row('Agent Time', `${s.agentMs.toFixed(2)}ms`) +
    row('Total Time', `${s.totalMs.toFixed(2)}ms`) +
    formatMissing(s, c)
  );
}

function formatMissing(s: RequestStats, c: Palette): string {
  let out = '';
  if (s.noResponse.length > 0) out += `\n${c.red('No response from:')}\n\n${columns(s.noResponse)}\n`;
  if (s.unexpected.length > 0) out += `\n${c.yellow('Unexpected response from:')}\n\n${columns(s.unexpected)}\n`;
  return out;
}

/** Names in columns across an 80-character line, as MCollective lists missing nodes. */
export function columns(names: readonly string[], width = 80): string {
  const col = Math.max(...names.map((n) => n.length)) + 2;
  const perLine = Math.max(1, Math.floor((width - 3) / col));
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += perLine) {
    lines.push(
      '   ' +
        names
          .slice(i, i + perLine)
          .map((n) => n.padEnd(col))
          .join('')
          .trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}
