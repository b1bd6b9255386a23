// status, count and summary only read the nodes' state, so with broadcast discovery their request goes out at the
// same moment as discovery's ping instead of after it: the fleet answers both at once, and the command ends as soon
// as every discovered node has answered, not one discovery window plus one request round later. Nodes discovery
// found that never answer are still listed as no response; a node that answers but missed discovery still counts.
import { plainIdentities } from '../../../filter/index.js';
import { DISCOVERY_METHODS } from '../../discovery/index.js';
import { discover, statsOf, type RequestOutcome } from '../../request.js';
import { ResultSet, type Reply } from '../../results.js';
import { haltCode } from '../../exit-codes.js';
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import { noNodes, requestEvents, type NoNodes } from '../shared.js';
import { checkInputs, puppetDDL, puppetRequest, replyTimeoutMs, type PuppetContext } from './request.js';

/** Overlapping needs a broadcast discovery whose whole answer is the expected set: no identities, --limit or batches. */
function canOverlap(ctx: PuppetContext): boolean {
  const t = ctx.target;
  return (
    DISCOVERY_METHODS.asksNodes(t.discoveryMethod) &&
    !plainIdentities(t.filter) &&
    t.limit === undefined &&
    ctx.send.batch === undefined &&
    !ctx.send.noResults
  );
}

/** A read-only puppet request: sent with discovery when that can be done, else after it as every request is. */
export async function puppetQuery(
  session: ClientSession,
  ctx: PuppetContext,
  action: string,
  data: Record<string, unknown>,
  onEvent: OnEvent,
): Promise<RequestOutcome | NoNodes> {
  if (!canOverlap(ctx)) return puppetRequest(session, ctx, action, data, onEvent);
  const ddl = puppetDDL(session);
  checkInputs(ddl, action, data);
  const client = await session.client();
  const timeoutMs = replyTimeoutMs(ddl, ctx);
  const abort = new AbortController();
  const outer = ctx.send.signal;
  const onOuterAbort = () => abort.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });

  const events = requestEvents(onEvent);
  let expected: ReadonlySet<string> | undefined;
  let waiting = 0;
  let allIn: () => void = () => undefined;
  const early: Reply[] = [];
  const onReply = (reply: Reply) => {
    if (!expected) return void early.push(reply);
    events.onReply(reply, expected.size);
    if (expected.has(reply.sender) && --waiting === 0) allIn();
  };
  const call = client.call({
    agent: 'puppet',
    action,
    data,
    filter: ctx.target.filter,
    collective: ctx.target.collective,
    timeoutMs: ctx.target.discoveryTimeoutMs + timeoutMs,
    ttl: ctx.send.ttl,
    signal: abort.signal,
    onReply,
  });
  try {
    let discovered;
    try {
      discovered = await discover(session, ctx.target);
    } catch (err) {
      abort.abort();
      await call.catch(() => undefined);
      throw err;
    }
    const nodes = new Set(discovered.nodes);
    expected = nodes;
    const afterDiscovery = Date.now();
    if (nodes.size === 0 && early.length === 0) {
      abort.abort();
      await call;
      return noNodes();
    }
    events.onStart(nodes.size);
    waiting = nodes.size;
    for (const reply of early) {
      events.onReply(reply, nodes.size);
      if (nodes.has(reply.sender)) waiting--;
    }
    if (waiting > 0) {
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      await new Promise<void>((resolve) => {
        allIn = resolve;
        abort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      clearTimeout(timer);
    }
    abort.abort();
    const broadcast = await call;
    events.done();
    // The same replies, judged against what discovery found; agent time is what the replies took beyond discovery.
    const results = new ResultSet(broadcast.requestId, discovered.nodes);
    for (const reply of broadcast.all()) results.add(reply);
    results.startedAt = afterDiscovery;
    results.finishedAt = Math.max(afterDiscovery, broadcast.finishedAt);
    const stats = statsOf(results, discovered.elapsedMs, nodes.size);
    return { results, discovered, stats, exitCode: haltCode({ ...stats, noResponse: stats.noResponse.length }) };
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
