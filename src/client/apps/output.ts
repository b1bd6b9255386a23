// The outcome of one agent request that waited for its replies: what `mco rpc` and the puppet commands report.
import { aggregate, type ActionDDL, type AgentDDL, type AggregateResult } from '../../ddl/index.js';
import type { RequestOutcome } from '../request.js';
import type { Reply, RequestStats } from '../results.js';

export interface RequestReport {
  kind: 'replies';
  agent: string;
  action: string;
  /** The action's DDL: the labels of its outputs, and which replies it shows by default. */
  actionDDL?: ActionDDL;
  /** In the order they arrived. */
  replies: Reply[];
  stats: RequestStats;
  /** The DDL's aggregate summaries (MCollective's printrpcstats :summarize) over the successful replies. */
  summaries: AggregateResult[];
  exitCode: number;
}

export function summariesFor(ddl: AgentDDL | undefined, action: string, outcome: RequestOutcome): AggregateResult[] {
  if (!ddl?.actions[action]?.aggregate?.length) return [];
  return aggregate(
    ddl,
    action,
    outcome.results.ok().map((r) => r.data),
  );
}

export function requestReport(
  ddl: AgentDDL | undefined,
  agent: string,
  action: string,
  outcome: RequestOutcome,
  summarize = true,
): RequestReport {
  return {
    kind: 'replies',
    agent,
    action,
    actionDDL: ddl?.actions[action],
    replies: outcome.results.all(),
    stats: outcome.stats,
    summaries: summarize ? summariesFor(ddl, action, outcome) : [],
    exitCode: outcome.exitCode,
  };
}
