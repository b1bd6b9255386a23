// mco puppet: the subcommands, each a small module; this file only routes to them.
import { UsageError } from '../../errors.js';
import type { ClientSession } from '../../session.js';
import { printOutcome } from '../output.js';
import { requestSent } from '../shared.js';
import type { PuppetCommand } from './command.js';
import { puppetDDL, puppetRequest, type PuppetContext } from './request.js';
import { runallCommand } from './runall.js';
import { runonceCommand } from './runonce.js';
import { countCommand, statusCommand } from './status.js';
import { summaryCommand } from './summary.js';

export { parsePuppetCommand, PUPPET_ACTIONS, type PuppetCommand, type RunFlags } from './command.js';
export type { PuppetContext } from './request.js';

/** enable, disable and resource: the request, the replies as the DDL displays them, the summaries and stats. */
async function simpleCommand(session: ClientSession, ctx: PuppetContext, action: string, data: Record<string, unknown>): Promise<number> {
  const outcome = await puppetRequest(session, ctx, action, data);
  if (typeof outcome === 'number') return outcome;
  if (ctx.send.noResults) return requestSent(session, outcome.results.requestId, ctx.output.json);
  printOutcome(session, puppetDDL(session), 'puppet', action, outcome, { ...ctx.output, summarize: true });
  return outcome.exitCode;
}

export async function runPuppet(session: ClientSession, cmd: PuppetCommand, ctx: PuppetContext): Promise<number> {
  if (ctx.send.noResults && ['status', 'count', 'summary'].includes(cmd.action)) {
    throw new UsageError(`the ${cmd.action} command needs the replies and cannot be used with --no-results`);
  }
  switch (cmd.action) {
    case 'runonce':
      return runonceCommand(session, ctx, cmd.data, cmd.waitTimeoutMs);
    case 'runall':
      return runallCommand(session, ctx, cmd.concurrency, cmd.data, cmd.rerunS);
    case 'status':
      return statusCommand(session, ctx);
    case 'count':
      return countCommand(session, ctx);
    case 'summary':
      return summaryCommand(session, ctx);
    case 'enable':
      return simpleCommand(session, ctx, 'enable', {});
    case 'disable':
      return simpleCommand(session, ctx, 'disable', cmd.message === undefined ? {} : { message: cmd.message });
    case 'resource':
      return simpleCommand(session, ctx, 'resource', cmd.data);
  }
}
