// mco ping: a line per reply as it arrives, then the round-trip figures; or one JSON document.
import type { PingOutcome } from '../apps/ping.js';
import type { Reply } from '../results.js';
import { json, toErr, toOut, type Rendered } from './rendered.js';
import { roundMs } from './json.js';

/** The line shown the moment a reply arrives (text output only). */
export function pingLine(r: Pick<Reply, 'sender' | 'elapsedMs'>): string {
  return `${r.sender.padEnd(40)} time=${r.elapsedMs.toFixed(2)} ms\n`;
}

export function warningLine(message: string): string {
  return `warning: ${message}\n`;
}

/** What follows the reply lines (text), or the whole document (JSON). */
export function renderPing(o: PingOutcome, asJson: boolean): Rendered {
  const times = o.replies.map((r) => r.elapsedMs);
  if (asJson) {
    return toOut(
      json({
        replies: o.replies.map((r) => ({ sender: r.sender, time_ms: roundMs(r.elapsedMs) })),
        stats: {
          count: times.length,
          min_ms: roundMs(Math.min(...times, 0)),
          max_ms: roundMs(Math.max(...times, 0)),
          avg_ms: roundMs(avg(times)),
          wall_ms: o.wallMs,
          last_reply_ms: roundMs(Math.max(0, ...times)),
        },
      }),
    );
  }
  if (times.length === 0) return toErr('No responses received\n');
  return toOut(
    '\n\n---- ping statistics ----\n' +
      `${times.length} replies max: ${Math.max(...times).toFixed(2)} min: ${Math.min(...times).toFixed(2)} avg: ${avg(times).toFixed(2)}\n`,
  );
}

const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
