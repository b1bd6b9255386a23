// mco facts FACT: how a fact's values spread over the fleet (rpcutil#get_fact on every discovered node).
import { UsageError } from '../errors.js';
import { discover, sendRequest, type SendOptions, type TargetOptions } from '../request.js';
import type { ClientSession } from '../session.js';
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
  const byValue = new Map<string, string[]>();
  for (const r of outcome.results.ok()) {
    const v = r.data.value;
    const key = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    byValue.set(key, [...(byValue.get(key) ?? []), r.sender]);
  }
  const rows = [...byValue.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  if (o.json) {
    session.out.write(JSON.stringify({ fact, values: Object.fromEntries(rows.map(([v, nodes]) => [v, nodes.sort()])), request_stats: { discovered: outcome.stats.discovered, responses: outcome.stats.responses, no_responses: outcome.stats.noResponse } }, null, 2) + '\n');
    return outcome.exitCode;
  }
  const width = Math.max(40, ...rows.map(([v]) => v.length + 2));
  session.out.write(`Report for fact: ${fact}\n\n`);
  for (const [value, nodes] of rows) {
    session.out.write(`        ${(value === '' ? '(missing)' : value).padEnd(width)}found ${nodes.length} times\n`);
    if (o.verbose) {
      session.out.write('\n' + nodes.sort().map((n) => `            ${n}`).join('\n') + '\n\n');
    }
  }
  session.out.write(formatStats(outcome.stats, o.verbose, 'rpc stats', paletteFor(session.out, session.defaults.color)));
  return outcome.exitCode;
}
