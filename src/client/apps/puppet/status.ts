// mco puppet status: each node's status message, then the DDL summaries and the stats.
// mco puppet count: how many nodes are enabled, applying, running a daemon, idling.
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import { requestReport, type RequestReport } from '../output.js';
import type { NoNodes } from '../shared.js';
import { isNoNodes, puppetDDL, puppetRequest, type PuppetContext } from './request.js';

export interface StatusReport {
  kind: 'status';
  /** Each reply's data is the node's agent status (`message`, `enabled`, `applying`…). */
  request: RequestReport;
  exitCode: number;
}

export async function statusCommand(session: ClientSession, ctx: PuppetContext, onEvent: OnEvent): Promise<StatusReport | NoNodes> {
  const outcome = await puppetRequest(session, ctx, 'status', {}, onEvent);
  if (isNoNodes(outcome)) return outcome;
  const request = requestReport(puppetDDL(session), 'puppet', 'status', outcome);
  return { kind: 'status', request, exitCode: outcome.exitCode };
}

export interface Counts {
  total: number;
  enabled: number;
  disabled: number;
  applying: number;
  /** A requested run is splaying or starting: asked for, not yet applying. */
  splaying: number;
  stopped: number;
  daemons: number;
  noDaemons: number;
  idling: number;
  /** Nodes whose last run failed. */
  lastRunFailed: number;
  /** Nodes that never recorded a run. */
  neverRun: number;
  failed: number;
}

const PENDING = new Set(['splaying', 'starting a run']);

export interface CountReport {
  kind: 'count';
  counts: Counts;
  noResponse: string[];
  exitCode: number;
}

export function countStatuses(replies: ReadonlyArray<{ statuscode: number; data: Record<string, unknown> }>): Counts {
  const ok = replies.filter((r) => r.statuscode === 0).map((r) => r.data);
  const n = (pred: (d: Record<string, unknown>) => boolean) => ok.filter(pred).length;
  return {
    total: ok.length,
    enabled: n((d) => d.enabled === true),
    disabled: n((d) => d.enabled === false),
    applying: n((d) => d.applying === true),
    splaying: n((d) => d.applying !== true && PENDING.has(String(d.status))),
    stopped: n((d) => d.applying !== true && !PENDING.has(String(d.status))),
    daemons: n((d) => d.daemon_present === true),
    noDaemons: n((d) => d.daemon_present !== true),
    idling: n((d) => d.idling === true),
    lastRunFailed: n((d) => d.last_run_failed === true),
    neverRun: n((d) => !(Number(d.lastrun) > 0) && d.last_run_failed !== true),
    failed: replies.length - ok.length,
  };
}

export async function countCommand(session: ClientSession, ctx: PuppetContext, onEvent: OnEvent): Promise<CountReport | NoNodes> {
  const outcome = await puppetRequest(session, ctx, 'status', {}, onEvent);
  if (isNoNodes(outcome)) return outcome;
  return { kind: 'count', counts: countStatuses(outcome.results.all()), noResponse: outcome.stats.noResponse, exitCode: outcome.exitCode };
}
