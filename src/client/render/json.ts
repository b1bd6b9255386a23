import type { AggregateResult } from '../../ddl/index.js';
import type { Reply, RequestStats } from '../results.js';

/** `--json`: one document a CI job can parse, with every reply and the request's figures. */
export function jsonReport(
  agent: string,
  action: string,
  replies: readonly Reply[],
  s: RequestStats,
  summaries: readonly AggregateResult[],
) {
  return {
    agent,
    action,
    replies: replies.map((r) => ({
      sender: r.sender,
      statuscode: r.statuscode,
      statusmsg: r.statusmsg,
      data: r.data,
      time: new Date(r.time).toISOString(),
    })),
    request_stats: {
      requestid: s.requestId,
      discovered: s.discovered ?? null,
      responses: s.responses,
      ok: s.ok,
      failed: s.failed,
      no_responses: s.noResponse,
      unexpected_responses: s.unexpected,
      start_time: s.startTime.toISOString(),
      discovery_time_ms: roundMs(s.discoveryMs),
      agent_time_ms: roundMs(s.agentMs),
      total_time_ms: roundMs(s.totalMs),
    },
    summaries: summaries.map((a) => ({
      function: a.function,
      field: a.field,
      display_as: a.displayAs,
      value: a.kind === 'collection' ? Object.fromEntries(a.value as Array<[string, number]>) : a.value,
    })),
  };
}

/** A duration in milliseconds as every `--json` document gives it: two decimals. */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100;
