// The broker boundary. Nothing above transport/ knows which broker carries a message: it names logical
// destinations and gets bytes back. NATS maps them to subjects; AMQP to exchanges, routing keys and reply queues.
// What only some brokers offer is an optional capability of the connector (`jetStream`), never a class check.
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { JetStreamHandle } from './jetstream.js';

export type Destination = { kind: 'broadcast'; collective: string; agent: string } | { kind: 'node'; collective: string; identity: string };

export interface InboundMessage {
  data: Uint8Array;
  /**
   * Where the sender wants replies, as the broker carried it beside the message (a NATS reply subject, AMQP
   * reply-to properties). The frame's own `reply_to` serves only senders that published without one.
   */
  replyTo?: string;
}

export type MessageHandler = (msg: InboundMessage) => void;

export interface Subscription {
  unsubscribe(): Promise<void>;
}

/** Where the replies to one request arrive. */
export interface ReplyInbox {
  readonly address: string;
  close(): Promise<void>;
}

export type ConnectorEvent =
  | { type: 'connected'; server: string }
  | { type: 'disconnected'; server: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  /** `dropped`: messages published while disconnected that did not fit the reconnect buffer. */
  | { type: 'reconnected'; server: string; dropped?: { messages: number; bytes: number } }
  /** One message published while disconnected, dropped because the reconnect buffer was full. */
  | { type: 'dropped'; bytes: number }
  /** The broker announced it is shutting down (lame duck): the connection moves to `to` within `delayMs`. */
  | { type: 'lame_duck'; server: string; delayMs: number }
  /** The connection moved from a broker in lame-duck mode to another member of its cluster. */
  | { type: 'moved'; from: string; to: string }
  /** Servers found afresh (DNS SRV): `name` is the record name that answered, `servers` their order of trial. */
  | { type: 'servers'; name: string; servers: string[] }
  /** Finding the servers failed (no SRV records, DNS down); a daemon tries again after `delayMs`. */
  | { type: 'discovery_failed'; error: Error; delayMs: number }
  | { type: 'error'; error: Error };

export interface Connector {
  readonly kind: string;
  /** Resolves once connected. Daemons wait for the broker forever; clients fail after their connect timeout. */
  connect(): Promise<void>;
  subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription>;
  openInbox(collective: string, sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox>;
  /**
   * Sends a request; `replyTo` is where its replies go (a `ReplyInbox` address, or one nobody listens on for a
   * fire-and-forget request). The connector carries it the way its broker does and hands it to the receiver as
   * `InboundMessage.replyTo`.
   */
  publish(dest: Destination, data: Uint8Array, replyTo?: string): Promise<void>;
  reply(address: string, data: Uint8Array): Promise<void>;
  /** Resolves when everything published so far has reached the broker. */
  flush(): Promise<void>;
  /** Stops receiving, delivers what is in flight, then disconnects. */
  close(): Promise<void>;
  onEvent(listener: (event: ConnectorEvent) => void): void;
  /**
   * JetStream on this connection, for services that keep state on the broker (the registry, stores); absent
   * when the broker has none to offer (AMQP). See jetstream.ts.
   */
  jetStream?(): JetStreamHandle;
}

export const TRANSPORT_ERROR_CODES = {
  connect_failed: 'the broker cannot be reached, refuses the connection, or its TLS certificate is not trusted',
  closed: 'the connection is closed, or dropped while a request waited for replies',
  publish_failed: 'the broker did not take a message',
  bad_address: 'no broker address configured, or a destination the broker refuses',
  bad_option: 'a connector option out of range (a negative buffer size or delay)',
  not_permitted: 'the broker does not let this certificate publish or subscribe there',
} as const satisfies ErrorCodeTable;
export type TransportErrorCode = keyof typeof TRANSPORT_ERROR_CODES;

const CONNECT_HINT = 'is the broker running? check middleware_hosts in your config, or pass --config';

export class TransportError extends TroupeError {
  override readonly name = 'TransportError';
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, hint: code === 'connect_failed' ? CONNECT_HINT : undefined });
  }
}

/**
 * Reconnect delay: exponential from 100 ms up to `maxMs`, then a random 50–100% of it, so that a fleet that lost
 * its broker at the same moment does not come back at the same moment. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(Math.max(0, attempt), 16));
  return Math.round(base * (0.5 + random() * 0.5));
}
