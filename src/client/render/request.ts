// A request's outcome as `mco rpc` and the puppet commands show it: per-node lines per the display policy,
// DDL summaries, the stats block and missing nodes; or the `--json` document.
import { renderAggregate, shouldDisplay } from '../../ddl/index.js';
import type { RequestReport } from '../apps/output.js';
import type { RpcOutcome } from '../apps/rpc.js';
import type { DiscoveryOnly, NoNodes, RequestSent } from '../apps/shared.js';
import { jsonReport } from './json.js';
import { json, toErr, toOut, type Rendered, type RenderOptions } from './rendered.js';
import { formatReply, formatStats, formatVerboseReply } from './text.js';

export interface ReportOptions extends RenderOptions {
  /** Which replies to show; by default the action's DDL decides (failed ones unless it says otherwise). */
  display?: 'ok' | 'failed' | 'all' | 'none';
  /** The heading of the -v stats block. */
  caption?: string;
}

export function renderNoNodes(asJson: boolean): Rendered {
  return asJson
    ? toOut(JSON.stringify({ error: 'no nodes discovered', replies: [] }) + '\n')
    : toErr('No request sent, we did not discover any nodes.\n');
}

export function renderRequestSent(o: RequestSent, asJson: boolean): Rendered {
  return toOut(asJson ? JSON.stringify({ requestid: o.requestId }) + '\n' : `Request sent with id: ${o.requestId}\n`);
}

/** One identity per line, whatever the output format. */
export function renderDiscovered(o: Pick<DiscoveryOnly, 'nodes'>): Rendered {
  return toOut(o.nodes.map((n) => n + '\n').join(''));
}

export function renderCommon(o: NoNodes | RequestSent | DiscoveryOnly, asJson: boolean): Rendered {
  if (o.kind === 'no_nodes') return renderNoNodes(asJson);
  if (o.kind === 'sent') return renderRequestSent(o, asJson);
  return renderDiscovered(o);
}

export function renderRequestReport(r: RequestReport, o: ReportOptions): string {
  if (o.json) return json(jsonReport(r.agent, r.action, r.replies, r.stats, r.summaries));
  const c = o.palette;
  const policy = o.display ?? (r.actionDDL?.display === 'always' ? 'all' : (r.actionDDL?.display ?? 'failed'));
  let text = '';
  for (const reply of [...r.replies].sort((a, b) => a.sender.localeCompare(b.sender))) {
    if (o.verbose && o.display === undefined) {
      text += formatVerboseReply(reply, c);
      continue;
    }
    if (policy === 'none') continue;
    if (!shouldDisplay(policy === 'all' ? 'always' : policy, reply.statuscode)) continue;
    text += o.verbose ? formatVerboseReply(reply, c) : formatReply(reply, r.actionDDL, c);
  }
  for (const s of r.summaries) text += renderAggregate(s).join('\n') + '\n\n';
  return text + formatStats(r.stats, o.verbose, o.caption ?? 'rpc stats', c);
}

export function renderRpc(outcome: RpcOutcome, o: ReportOptions): Rendered {
  return outcome.kind === 'replies' ? toOut(renderRequestReport(outcome, o)) : renderCommon(outcome, o.json);
}
