// mco ping: discovery-free; every matching node answers the discovery agent, and we time each answer.
import { DISCOVERY_AGENT } from '../../protocol/index.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';
import type { TargetOptions } from '../request.js';
import type { Reply } from '../results.js';
import { roundMs } from '../render/json.js';

export interface PingOptions {
  target: TargetOptions;
  timeoutMs?: number;
  ttl: number;
  json: boolean;
  /** Finish as soon as this many nodes have answered (known fleet size). */
  expect?: number;
}

export async function runPing(session: ClientSession, o: PingOptions): Promise<number> {
  const client = await session.client();
  const printed: Reply[] = [];
  const json = o.json;
  const results = await client.call({
    agent: DISCOVERY_AGENT,
    action: 'ping',
    data: {},
    filter: o.target.filter,
    collective: o.target.collective,
    timeoutMs: o.timeoutMs ?? o.target.discoveryTimeoutMs,
    quietWindowMs: o.target.quietWindowMs,
    expectCount: o.expect,
    ttl: o.ttl,
    onReply: (r) => {
      printed.push(r);
      if (!json) session.out.write(`${r.sender.padEnd(40)} time=${r.elapsedMs.toFixed(2)} ms\n`);
    },
  });
  const times = printed.map((r) => r.elapsedMs);
  const wallMs = results.finishedAt - results.startedAt;
  if (json) {
    session.out.write(JSON.stringify({
      replies: printed.map((r) => ({ sender: r.sender, time_ms: roundMs(r.elapsedMs) })),
      stats: { count: times.length, min_ms: roundMs(Math.min(...times, 0)), max_ms: roundMs(Math.max(...times, 0)), avg_ms: roundMs(avg(times)), wall_ms: wallMs, last_reply_ms: roundMs(Math.max(0, ...times)) },
    }, null, 2) + '\n');
  } else if (times.length === 0) {
    session.err.write('No responses received\n');
  } else {
    session.out.write('\n\n---- ping statistics ----\n');
    session.out.write(`${times.length} replies max: ${Math.max(...times).toFixed(2)} min: ${Math.min(...times).toFixed(2)} avg: ${avg(times).toFixed(2)}\n`);
  }
  return times.length > 0 ? EXIT.OK : EXIT.NO_DISCOVERY_NO_RESPONSES;
}

const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
