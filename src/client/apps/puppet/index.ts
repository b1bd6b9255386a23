// mco puppet: the subcommands, each a small module; this file only routes to them.
import { UsageError } from '../../errors.js';
import type { ClientSession } from '../../session.js';
import type { AppEvent, OnEvent } from '../events.js';
import { requestReport, type RequestReport } from '../output.js';
import { requestSent, type NoNodes, type RequestSent } from '../shared.js';
import type { PuppetCommand } from './command.js';
import { isNoNodes, puppetDDL, puppetRequest, type PuppetContext } from './request.js';
import { runallCommand, type RunallOutcome } from './runall.js';
import { runonceCommand, type RunonceOutcome } from './runonce.js';
import { countCommand, statusCommand, type CountReport, type StatusReport } from './status.js';
import { summaryCommand, type SummaryReport } from './summary.js';

export { parsePuppetCommand, PUPPET_ACTIONS, type PuppetCommand, type RunFlags } from './command.js';
export type { PuppetContext } from './request.js';
export type { RunallOutcome, RunallReport } from './runall.js';
export type { RunonceOutcome, RunonceWaited, WaitedRun } from './runonce.js';
export type { Counts, CountReport, StatusReport } from './status.js';
export type { SummaryReport } from './summary.js';

export type PuppetEvent =
  | AppEvent
  /** runonce --wait: the runonce request is done, and following the runs it started begins. */
  | { type: 'runs_started'; request: RequestReport }
  /** runall --rerun: one pass is over (the outcome a single runall returns). */
  | { type: 'runall_pass'; pass: RunallOutcome };

export type PuppetOutcome =
  RequestReport | NoNodes | RequestSent | RunonceOutcome | RunallOutcome | StatusReport | CountReport | SummaryReport;

/** enable, disable and resource: the request, the replies as the DDL displays them, the summaries and stats. */
async function simpleCommand(
  session: ClientSession,
  ctx: PuppetContext,
  action: string,
  data: Record<string, unknown>,
  onEvent: OnEvent,
): Promise<PuppetOutcome> {
  const outcome = await puppetRequest(session, ctx, action, data, onEvent);
  if (isNoNodes(outcome)) return outcome;
  if (ctx.send.noResults) return requestSent(outcome.results.requestId);
  return requestReport(puppetDDL(session), 'puppet', action, outcome);
}

export async function runPuppet(
  session: ClientSession,
  cmd: PuppetCommand,
  ctx: PuppetContext,
  onEvent: OnEvent<PuppetEvent> = () => undefined,
): Promise<PuppetOutcome> {
  if (ctx.send.noResults && ['status', 'count', 'summary'].includes(cmd.action)) {
    throw new UsageError(`the ${cmd.action} command needs the replies and cannot be used with --no-results`);
  }
  switch (cmd.action) {
    case 'runonce':
      return runonceCommand(session, ctx, cmd.data, cmd.waitTimeoutMs, onEvent);
    case 'runall':
      return runallCommand(session, ctx, cmd.concurrency, cmd.data, cmd.rerunS, onEvent);
    case 'status':
      return statusCommand(session, ctx, onEvent);
    case 'count':
      return countCommand(session, ctx, onEvent);
    case 'summary':
      return summaryCommand(session, ctx, onEvent);
    case 'enable':
      return simpleCommand(session, ctx, 'enable', {}, onEvent);
    case 'disable':
      return simpleCommand(session, ctx, 'disable', cmd.message === undefined ? {} : { message: cmd.message }, onEvent);
    case 'resource':
      return simpleCommand(session, ctx, 'resource', cmd.data, onEvent);
  }
}
