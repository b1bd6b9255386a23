// How troupe's logical destinations map onto RabbitMQ objects. Daemons and clients both declare what they use, with
// the same arguments, so whichever comes first creates it and the rest find it as expected.
//
//   troupe.<collective>.broadcast   topic exchange, routing key = agent      (requests to every node hosting it)
//   troupe.<collective>.node        direct exchange, routing key = identity  (requests to one node)
//   one exclusive, auto-delete queue per connection, bound for its node's agents and identity
//   replies through direct reply-to (see addresses.ts): no queue per request or per client
import type { Options } from 'amqplib';
import type { Destination } from '../connector.js';

export type ExchangeType = 'topic' | 'direct';

export interface Route {
  exchange: string;
  type: ExchangeType;
  routingKey: string;
}

export function routeOf(dest: Destination): Route {
  return dest.kind === 'broadcast'
    ? { exchange: `troupe.${dest.collective}.broadcast`, type: 'topic', routingKey: dest.agent }
    : { exchange: `troupe.${dest.collective}.node`, type: 'direct', routingKey: dest.identity };
}

/** Durable, so they survive a broker restart and keep their permissions; they hold no messages themselves. */
export const EXCHANGE_OPTIONS: Options.AssertExchange = { durable: true, autoDelete: false };

export interface QueueLimits {
  /** Requests older than this are dropped unread (a stuck node never works through a backlog of stale requests). */
  messageTtlMs: number;
  /** Beyond this many waiting requests the oldest go first. */
  maxLength: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { messageTtlMs: 60_000, maxLength: 1000 };

/** A node's queue lives exactly as long as its connection: an offline node leaves nothing behind to pile up. */
export function nodeQueueOptions(limits: QueueLimits): Options.AssertQueue {
  return {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-message-ttl': limits.messageTtlMs, 'x-max-length': limits.maxLength, 'x-overflow': 'drop-head' },
  };
}
