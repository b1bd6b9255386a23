// mco puppet status: each node's status message, then the DDL summaries and the stats.
// mco puppet count: how many nodes are enabled, applying, running a daemon, idling.
import { renderAggregate } from '../../../ddl/index.js';
import { textOf } from '../../render/inspect.js';
import { jsonReport } from '../../render/json.js';
import { paletteFor } from '../../render/palette.js';
import { formatStats } from '../../render/text.js';
import type { ClientSession } from '../../session.js';
import { summariesFor } from '../output.js';
import { puppetDDL, puppetRequest, type PuppetContext } from './request.js';

export async function statusCommand(session: ClientSession, ctx: PuppetContext): Promise<number> {
  const outcome = await puppetRequest(session, ctx, 'status', {});
  if (typeof outcome === 'number') return outcome;
  const summaries = summariesFor(puppetDDL(session), 'status', outcome);
  const { out } = session;
  if (ctx.output.json) {
    out.write(JSON.stringify(jsonReport('puppet', 'status', outcome.results.all(), outcome.stats, summaries), null, 2) + '\n');
    return outcome.exitCode;
  }
  const c = paletteFor(out, session.defaults.color);
  const replies = [...outcome.results.all()].sort((a, b) => a.sender.localeCompare(b.sender));
  const width = Math.max(0, ...replies.map((r) => r.sender.length)) + 3;
  for (const r of replies) {
    const text = r.statuscode === 0 ? textOf(r.data.message) : c.red(r.statusmsg);
    out.write(`${r.sender.padStart(width)}: ${text}\n`);
  }
  out.write('\n');
  for (const s of summaries) out.write(renderAggregate(s).join('\n') + '\n\n');
  out.write(formatStats(outcome.stats, ctx.output.verbose, 'rpc stats', c));
  return outcome.exitCode;
}

export interface Counts {
  total: number;
  enabled: number;
  disabled: number;
  applying: number;
  stopped: number;
  daemons: number;
  noDaemons: number;
  idling: number;
  failed: number;
}

export function countStatuses(replies: ReadonlyArray<{ statuscode: number; data: Record<string, unknown> }>): Counts {
  const ok = replies.filter((r) => r.statuscode === 0).map((r) => r.data);
  const n = (pred: (d: Record<string, unknown>) => boolean) => ok.filter(pred).length;
  return {
    total: ok.length,
    enabled: n((d) => d.enabled === true),
    disabled: n((d) => d.enabled === false),
    applying: n((d) => d.applying === true),
    stopped: n((d) => d.applying !== true),
    daemons: n((d) => d.daemon_present === true),
    noDaemons: n((d) => d.daemon_present !== true),
    idling: n((d) => d.idling === true),
    failed: replies.length - ok.length,
  };
}

export async function countCommand(session: ClientSession, ctx: PuppetContext): Promise<number> {
  const outcome = await puppetRequest(session, ctx, 'status', {}, false);
  if (typeof outcome === 'number') return outcome;
  const counts = countStatuses(outcome.results.all());
  const { out } = session;
  if (ctx.output.json) {
    out.write(JSON.stringify({ counts, no_responses: outcome.stats.noResponse }, null, 2) + '\n');
    return outcome.exitCode;
  }
  const c = paletteFor(out, session.defaults.color);
  const row = (label: string, value: number) => `${label.padStart(33)}: ${value}\n`;
  out.write(`Total Puppet nodes: ${counts.total}\n\n`);
  out.write(row('Nodes currently enabled', counts.enabled) + row('Nodes currently disabled', counts.disabled) + '\n');
  out.write(row('Nodes currently doing puppet runs', counts.applying) + row('Nodes currently stopped', counts.stopped) + '\n');
  out.write(row('Nodes with daemons started', counts.daemons) + row('Nodes without daemons started', counts.noDaemons));
  out.write(row('Daemons started but idling', counts.idling));
  if (counts.failed > 0) out.write('\n' + c.red(`Failed to retrieve status of ${counts.failed} node${counts.failed === 1 ? '' : 's'}`) + '\n');
  if (outcome.stats.noResponse.length > 0) {
    out.write('\n' + c.red(`No response from ${outcome.stats.noResponse.length} node(s): ${outcome.stats.noResponse.join(', ')}`) + '\n');
  }
  return outcome.exitCode;
}
