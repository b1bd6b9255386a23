// The floor as a program of its own: what a bare nats.js client needs to broadcast one request and count every reply.
// Run as a fresh process per measurement, exactly as `mco` is, so both pay the same start-up and cold-code costs.
import { measureFloor } from './lib/floor.js';

const [url, collective, expectedText, timeoutText] = process.argv.slice(2);
const result = await measureFloor(url!, collective!, Number(expectedText), Number(timeoutText ?? 15000));
process.stdout.write(JSON.stringify({ replies: result.replies, last_reply_ms: result.replies ? result.lastReplyMs : null }) + '\n');
process.stderr.write(`troupe-maxrss-kb=${process.resourceUsage().maxRSS}\n`);
