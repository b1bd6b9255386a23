// The floor as a program of its own: what a bare nats.js client needs to broadcast one request and count every reply.
// Run as a fresh process per measurement, exactly as `mco` is, so both pay the same start-up and cold-code costs.
import { connect } from 'nats';
import { broadcastSubject } from '../src/protocol/subjects.js';

const [url, collective, agent, expectedText, timeoutText] = process.argv.slice(2);
const expected = Number(expectedText);
const nc = await connect({ servers: url!.replace(/^nats:\/\//, '') });
const inbox = `${collective}.reply.floor-${process.pid}.${Date.now()}`;
let replies = 0;
let last = 0;
let started = 0;
const done = new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, Number(timeoutText ?? 15000));
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
started = performance.now();
nc.publish(broadcastSubject(collective!, agent!), new TextEncoder().encode(inbox));
await done;
await nc.close();
process.stdout.write(JSON.stringify({ replies, last_reply_ms: replies ? last - started : null }) + '\n');
process.stderr.write(`troupe-maxrss-kb=${process.resourceUsage().maxRSS}\n`);
