// One puppet agent request as every `mco puppet` subcommand makes it: checked against the DDL, then
// discovery, the request (its progress reported as events), and the outcome.
import { validateInputs, type AgentDDL } from '../../../ddl/index.js';
import { UsageError } from '../../errors.js';
import { discover, sendRequest, type RequestOutcome, type SendOptions, type TargetOptions } from '../../request.js';
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import { noNodes, requestEvents, type NoNodes } from '../shared.js';

export interface PuppetContext {
  target: TargetOptions;
  send: Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number };
}

export function puppetDDL(session: ClientSession): AgentDDL {
  const ddl = session.ddls.find('puppet');
  if (!ddl)
    throw new UsageError(
      "the puppet agent's DDL was not found",
      "check 'plugindirs' in the client config; 'mco plugin doc' lists known agents",
    );
  return ddl;
}

/** Rejects bad inputs here, with the DDL's message, rather than on every node. */
export function checkInputs(ddl: AgentDDL, action: string, data: Record<string, unknown>): void {
  const checked = validateInputs(ddl, action, data);
  if (!checked.ok) throw new UsageError(checked.message, `see 'mco plugin doc puppet'`);
}

/** The agent's timeout plus discovery's, as MCollective waits, unless -t says otherwise. */
export function replyTimeoutMs(ddl: AgentDDL, ctx: PuppetContext): number {
  return ctx.send.timeoutMs ?? ddl.metadata.timeout * 1000 + ctx.target.discoveryTimeoutMs;
}

/** Discovers and sends; NoNodes instead of an outcome when nothing was discovered. */
export async function puppetRequest(
  session: ClientSession,
  ctx: PuppetContext,
  action: string,
  data: Record<string, unknown>,
  onEvent: OnEvent,
): Promise<RequestOutcome | NoNodes> {
  const ddl = puppetDDL(session);
  checkInputs(ddl, action, data);
  const discovered = await discover(session, ctx.target);
  if (discovered.nodes.length === 0) return noNodes();
  const events = requestEvents(onEvent);
  const outcome = await sendRequest(session, ctx.target, discovered, 'puppet', action, data, {
    ...ctx.send,
    timeoutMs: replyTimeoutMs(ddl, ctx),
    onStart: events.onStart,
    onReply: events.onReply,
  });
  events.done();
  return outcome;
}

export const isNoNodes = (o: RequestOutcome | NoNodes): o is NoNodes => 'kind' in o && o.kind === 'no_nodes';
