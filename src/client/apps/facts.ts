// mco facts FACT: how a fact's values spread over the fleet (rpcutil#get_fact on every discovered node).
import { UsageError } from '../errors.js';
import { discover, sendRequest, type SendOptions, type TargetOptions } from '../request.js';
import type { RequestStats } from '../results.js';
import type { ClientSession } from '../session.js';
import type { OnEvent } from './events.js';
import { noNodes, requestEvents, type NoNodes } from './shared.js';

/** A fact's value ('' when missing) and the nodes that have it, sorted. */
export type FactRow = [value: string, nodes: string[]];

export interface FactsReport {
  kind: 'facts';
  fact: string;
  /** The most common value first. */
  rows: FactRow[];
  stats: RequestStats;
  exitCode: number;
}

export type FactsOutcome = FactsReport | NoNodes;

export function checkFactName(fact: string): void {
  if (!/^[\w\-.:]+$/.test(fact)) throw new UsageError(`'${fact}' is not a fact name`, 'fact names are letters, digits, _ - . and :');
}

export async function runFacts(
  session: ClientSession,
  fact: string,
  target: TargetOptions,
  send: Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number },
  onEvent: OnEvent = () => undefined,
): Promise<FactsOutcome> {
  checkFactName(fact);
  const discovered = await discover(session, target);
  if (discovered.nodes.length === 0) return noNodes();
  const { onStart, onReply, done } = requestEvents(onEvent);
  const outcome = await sendRequest(
    session,
    target,
    discovered,
    'rpcutil',
    'get_fact',
    { fact },
    {
      ...send,
      timeoutMs: send.timeoutMs ?? 2000 + target.discoveryTimeoutMs,
      onStart,
      onReply,
    },
  );
  done();
  const rows = factRows(outcome.results.ok().map((r) => [r.sender, r.data.value]));
  return { kind: 'facts', fact, rows, stats: outcome.stats, exitCode: outcome.exitCode };
}

/** Nodes grouped by the fact's value (missing as ''), the most common value first. */
export function factRows(values: Iterable<readonly [string, unknown]>): FactRow[] {
  const byValue = new Map<string, string[]>();
  for (const [sender, v] of values) {
    const key = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    const nodes = byValue.get(key);
    if (nodes) nodes.push(sender);
    else byValue.set(key, [sender]);
  }
  return [...byValue.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([value, nodes]): FactRow => [value, nodes.sort()]);
}
