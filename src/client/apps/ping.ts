// mco ping: discovery-free; every matching node answers the discovery agent, and we time each answer.
import { DISCOVERY_AGENT } from '../../protocol/index.js';
import { EXIT } from '../exit-codes.js';
import type { ClientSession } from '../session.js';
import type { TargetOptions } from '../request.js';
import type { Reply } from '../results.js';
import type { OnEvent } from './events.js';
import { expectedFromRegistry } from './registry.js';

export interface PingOptions {
  target: TargetOptions;
  timeoutMs?: number;
  ttl: number;
  /**
   * Finish as soon as this many nodes have answered (known fleet size); 'registry': as many as the registry counts.
   * Unset: the registry's count when `discovery_expect_from_registry` is on, else wait for the quiet window.
   */
  expect?: number | 'registry';
}

export interface PingOutcome {
  /** In the order they arrived; each reply's `elapsedMs` is its round trip. */
  replies: Reply[];
  /** From the request being sent to the wait ending. */
  wallMs: number;
  /** The count the wait ended at, when one was known. */
  expected?: number;
  warnings: string[];
  exitCode: number;
}

export async function runPing(session: ClientSession, o: PingOptions, onEvent: OnEvent = () => undefined): Promise<PingOutcome> {
  const warnings: string[] = [];
  let expected = typeof o.expect === 'number' ? o.expect : undefined;
  if (o.expect === 'registry' || (o.expect === undefined && session.defaults.expectFromRegistry === true)) {
    const fromRegistry = await expectedFromRegistry(session, o.target, o.expect === 'registry');
    expected = fromRegistry.count;
    if (fromRegistry.warning) {
      warnings.push(fromRegistry.warning);
      onEvent({ type: 'warning', message: fromRegistry.warning });
    }
  }
  const client = await session.client();
  const replies: Reply[] = [];
  const results = await client.call({
    agent: DISCOVERY_AGENT,
    action: 'ping',
    data: {},
    filter: o.target.filter,
    collective: o.target.collective,
    timeoutMs: o.timeoutMs ?? o.target.discoveryTimeoutMs,
    quietWindowMs: o.target.quietWindowMs,
    expectCount: expected,
    ttl: o.ttl,
    onReply: (reply) => {
      replies.push(reply);
      onEvent({ type: 'reply', reply });
    },
  });
  return {
    replies,
    wallMs: results.finishedAt - results.startedAt,
    expected,
    warnings,
    exitCode: replies.length > 0 ? EXIT.OK : EXIT.NO_DISCOVERY_NO_RESPONSES,
  };
}
