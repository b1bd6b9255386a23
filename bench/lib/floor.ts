// The floor: a bare nats.js broadcast answered by every simulated node's connection, nothing of troupe in between.
import { connect } from 'nats';
import { broadcastSubject } from '../../src/protocol/subjects.js';
import { RAW_RESPONDER_AGENT } from '../../src/devkit/floor.js';

export interface FloorResult {
  replies: number;
  lastReplyMs: number;
}

export async function measureFloor(url: string, collective: string, expected: number, timeoutMs: number): Promise<FloorResult> {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
  const inbox = `${collective}.reply.bench-floor.${Date.now()}`;
  let replies = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    nc.subscribe(inbox, {
      callback: () => {
        replies++;
        last = performance.now();
        if (replies >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await nc.flush();
  const started = performance.now();
  nc.publish(broadcastSubject(collective, RAW_RESPONDER_AGENT), new TextEncoder().encode(inbox));
  await done;
  await nc.close();
  return { replies, lastReplyMs: replies ? last - started : Number.NaN };
}
