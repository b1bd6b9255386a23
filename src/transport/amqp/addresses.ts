// Reply addressing over RabbitMQ's direct reply-to.
//
// A client consumes the pseudo-queue `amq.rabbitmq.reply-to` once per connection; every request it publishes carries
// `reply_to = amq.rabbitmq.reply-to` and a correlation id, and the broker rewrites the reply-to into a routing key that
// reaches that consumer. Several requests share the one consumer, so the correlation id (the request's inbox token)
// tells their replies apart. Three address shapes follow from that:
//
//   amq.rabbitmq.reply-to#<token>           an inbox as the client names it (publish's reply address, the frame's reply_to)
//   amq.rabbitmq.reply-to.<route>#<token>   where a node sends the reply: broker route plus correlation id
//   <anything else>                         no troupe inbox (a fire-and-forget request's): nothing to send

export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
const INBOX_PREFIX = `${DIRECT_REPLY_TO}#`;

/** Inbox tokens travel as AMQP correlation ids and inside JSON strings: keep them plain. */
const TOKEN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function isInboxToken(token: string): boolean {
  return TOKEN.test(token);
}

export function inboxAddress(token: string): string {
  return INBOX_PREFIX + token;
}

/** The address a node replies to, built from the properties of the request it received. */
export function replyAddress(brokerReplyTo: string, correlationId?: string): string {
  return correlationId ? `${brokerReplyTo}#${correlationId}` : brokerReplyTo;
}

export type ReplyRoute =
  | { kind: 'route'; routingKey: string; correlationId?: string }
  /** An inbox named by its client: the node must have seen a request from it to know the broker route. */
  | { kind: 'inbox'; token: string };

export function parseReplyAddress(address: string): ReplyRoute {
  if (address.startsWith(INBOX_PREFIX)) return { kind: 'inbox', token: address.slice(INBOX_PREFIX.length) };
  const hash = address.lastIndexOf('#');
  if (address.startsWith(DIRECT_REPLY_TO) && hash > 0) {
    return { kind: 'route', routingKey: address.slice(0, hash), correlationId: address.slice(hash + 1) || undefined };
  }
  return { kind: 'route', routingKey: address };
}
