// mco facts FACT: how a fact's values spread over the fleet (rpcutil#get_fact on every discovered node).
import { UsageError } from '../errors.js';
import { discover, sendRequest, type SendOptions, type TargetOptions } from '../request.js';
import type { ClientSession, Output } from '../session.js';
import { formatStats } from '../render/text.js';
import { paletteFor } from '../render/palette.js';
import { noNodesDiscovered, progressCallbacks } from './shared.js';
import type { OutputOptions } from './output.js';

export async function runFacts(session: ClientSession, fact: string, target: TargetOptions, send: Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number }, o: OutputOptions): Promise<number> {
  if (!/^[\w\-.:]+$/.test(fact)) throw new UsageError(`'${fact}' is not a fact name`, 'fact names are letters, digits, _ - . and :');
  const discovered = await discover(session, target);
  if (discovered.nodes.length === 0) return noNodesDiscovered(session, o.json);
  const { onStart, onReply, done } = progressCallbacks(session, o);
  const outcome = await sendRequest(session, target, discovered, 'rpcutil', 'get_fact', { fact }, {
    ...send,
    timeoutMs: send.timeoutMs ?? 2000 + target.discoveryTimeoutMs,
    onStart,
    onReply,
  });
  done();
  const rows = factRows(outcome.results.ok().map((r) => [r.sender, r.data.value]));
  if (o.json) {
    session.out.write(JSON.stringify({ fact, values: Object.fromEntries(rows.map(([v, nodes]) => [v, nodes.sort()])), request_stats: { discovered: outcome.stats.discovered, responses: outcome.stats.responses, no_responses: outcome.stats.noResponse } }, null, 2) + '\n');
    return outcome.exitCode;
  }
  writeFactReport(session.out, fact, rows, o.verbose);
  session.out.write(formatStats(outcome.stats, o.verbose, 'rpc stats', paletteFor(session.out, session.defaults.color)));
  return outcome.exitCode;
}

/** Nodes grouped by the fact's value (missing as ''), the most common value first. */
export function factRows(values: Iterable<readonly [string, unknown]>): Array<[string, string[]]> {
  const byValue = new Map<string, string[]>();
  for (const [sender, v] of values) {
    const key = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    const nodes = byValue.get(key);
    if (nodes) nodes.push(sender);
    else byValue.set(key, [sender]);
  }
  return [...byValue.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
}

export function writeFactReport(out: Output, fact: string, rows: Array<[string, string[]]>, verbose: boolean): void {
  const width = Math.max(40, ...rows.map(([v]) => v.length + 2));
  out.write(`Report for fact: ${fact}\n\n`);
  for (const [value, nodes] of rows) {
    out.write(`        ${(value === '' ? '(missing)' : value).padEnd(width)}found ${nodes.length} times\n`);
    if (verbose) {
      out.write('\n' + nodes.sort().map((n) => `            ${n}`).join('\n') + '\n\n');
    }
  }
}
