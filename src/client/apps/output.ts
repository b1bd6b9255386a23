// Printing a finished request: per-node lines per the display policy, DDL summaries, stats, missing nodes, JSON.
import { aggregate, renderAggregate, shouldDisplay, type AgentDDL, type AggregateResult } from '../../ddl/index.js';
import type { RequestOutcome } from '../request.js';
import type { ClientSession } from '../session.js';
import { formatReply, formatStats, formatVerboseReply } from '../render/text.js';
import { jsonReport } from '../render/json.js';
import { paletteFor } from '../render/palette.js';

export interface OutputOptions {
  verbose: boolean;
  json: boolean;
  progress: boolean;
  display?: 'ok' | 'failed' | 'all' | 'none';
  /** Print DDL aggregate summaries (MCollective's printrpcstats :summarize). */
  summarize?: boolean;
  caption?: string;
}

export function summariesFor(ddl: AgentDDL | undefined, action: string, outcome: RequestOutcome): AggregateResult[] {
  if (!ddl?.actions[action]?.aggregate?.length) return [];
  return aggregate(ddl, action, outcome.results.ok().map((r) => r.data));
}

export function printOutcome(session: ClientSession, ddl: AgentDDL | undefined, agent: string, action: string, outcome: RequestOutcome, o: OutputOptions): void {
  const { out } = session;
  const summaries = o.summarize === false ? [] : summariesFor(ddl, action, outcome);
  if (o.json) {
    out.write(JSON.stringify(jsonReport(agent, action, outcome.results.all(), outcome.stats, summaries), null, 2) + '\n');
    return;
  }
  const c = paletteFor(out, session.defaults.color);
  const actionDDL = ddl?.actions[action];
  const policy = o.display ?? (actionDDL?.display === 'always' ? 'all' : actionDDL?.display ?? 'failed');
  for (const reply of [...outcome.results.all()].sort((a, b) => a.sender.localeCompare(b.sender))) {
    if (o.verbose && o.display === undefined) {
      out.write(formatVerboseReply(reply, c));
      continue;
    }
    if (policy === 'none') continue;
    if (!shouldDisplay(policy === 'all' ? 'always' : policy, reply.statuscode)) continue;
    out.write(o.verbose ? formatVerboseReply(reply, c) : formatReply(reply, actionDDL, c));
  }
  for (const s of summaries) out.write(renderAggregate(s).join('\n') + '\n\n');
  out.write(formatStats(outcome.stats, o.verbose, o.caption ?? 'rpc stats', c));
}
