// Outcomes and event plumbing every request application shares.
import { EXIT } from '../exit-codes.js';
import type { SendOptions } from '../request.js';
import type { OnEvent } from './events.js';

/** Discovery found no node, so nothing was sent. */
export interface NoNodes {
  kind: 'no_nodes';
  exitCode: typeof EXIT.ERROR;
}

/** `--no-results`: the request went out and its replies were not awaited. */
export interface RequestSent {
  kind: 'sent';
  requestId: string;
  exitCode: typeof EXIT.OK;
}

/** `--discovery-only`: the nodes a request would go to; nothing was sent. */
export interface DiscoveryOnly {
  kind: 'discovered';
  nodes: string[];
  exitCode: number;
}

export const noNodes = (): NoNodes => ({ kind: 'no_nodes', exitCode: EXIT.ERROR });

export const requestSent = (requestId: string): RequestSent => ({ kind: 'sent', requestId, exitCode: EXIT.OK });

/** `unanswered`: sites whose registries did not answer, so the list may lack nodes. */
export const discoveryOnly = (nodes: string[], unanswered = 0): DiscoveryOnly => ({
  kind: 'discovered',
  nodes,
  exitCode: nodes.length === 0 ? EXIT.ERROR : unanswered > 0 ? EXIT.SOME_FAILED : EXIT.OK,
});

/** The send callbacks that report a request's start, each reply and its end as events. */
export function requestEvents(onEvent: OnEvent): {
  onStart: NonNullable<SendOptions['onStart']>;
  onReply: NonNullable<SendOptions['onReply']>;
  done: () => void;
} {
  return {
    onStart: (expected) => onEvent({ type: 'request_start', expected }),
    onReply: (reply, expected) => onEvent({ type: 'reply', reply, expected }),
    done: () => onEvent({ type: 'request_end' }),
  };
}
