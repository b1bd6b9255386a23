// mco rpc AGENT ACTION [key=value…]: any action of any agent, inputs coerced by its DDL.
import { coerceArguments, missingRequiredInputs, validateInputs } from '../../ddl/index.js';
import { UsageError } from '../errors.js';
import { discover, sendRequest, type SendOptions, type TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';
import type { OnEvent } from './events.js';
import { requestReport, type RequestReport } from './output.js';
import { discoveryOnly, noNodes, requestEvents, requestSent, type DiscoveryOnly, type NoNodes, type RequestSent } from './shared.js';

export interface RpcAppOptions {
  agent: string;
  action: string;
  args: string[];
  target: TargetOptions;
  send: Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number };
  discoveryOnly?: boolean;
}

export type RpcOutcome = RequestReport | NoNodes | RequestSent | DiscoveryOnly;

export async function runRpc(session: ClientSession, o: RpcAppOptions, onEvent: OnEvent = () => undefined): Promise<RpcOutcome> {
  const ddl = session.ddls.find(o.agent);
  if (!ddl) throw new UsageError(`unknown agent '${o.agent}'`, `'mco plugin doc' lists the agents this client knows`);
  if (!ddl.actions[o.action]) {
    throw new UsageError(`agent '${o.agent}' has no action '${o.action}'`, `actions: ${Object.keys(ddl.actions).sort().join(', ')}`);
  }
  const data = coerceArguments(ddl, o.action, o.args);
  const missing = missingRequiredInputs(ddl, o.action, data);
  if (missing.length > 0) {
    throw new UsageError(`${o.agent}#${o.action} needs ${missing.map((m) => `${m}=…`).join(' ')}`, `see 'mco plugin doc ${o.agent}'`);
  }
  // As MCollective's client: inputs the DDL refuses are reported here, not by every node.
  const checked = validateInputs(ddl, o.action, data);
  if (!checked.ok) throw new UsageError(`${o.agent}#${o.action}: ${checked.message}`, `see 'mco plugin doc ${o.agent}'`);
  const discovered = await discover(session, o.target);
  if (o.discoveryOnly) return discoveryOnly(discovered.nodes, discovered.unanswered.length);
  if (discovered.nodes.length === 0) return noNodes();
  const { onStart, onReply, done } = requestEvents(onEvent);
  // As MCollective: the agent's own timeout plus the discovery timeout, unless -t says otherwise.
  const timeoutMs = o.send.timeoutMs ?? ddl.metadata.timeout * 1000 + o.target.discoveryTimeoutMs;
  const outcome = await sendRequest(session, o.target, discovered, o.agent, o.action, data, { ...o.send, timeoutMs, onStart, onReply });
  done();
  if (o.send.noResults) return requestSent(outcome.results.requestId);
  return requestReport(ddl, o.agent, o.action, outcome);
}
