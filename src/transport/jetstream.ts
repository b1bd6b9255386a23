// The JetStream capability: a connector whose broker keeps streams and key-value buckets offers this handle, and
// services built on JetStream (the registry, stores of state) take it instead of asking which connector they got.
import type { JetStreamClient, JetStreamManager, Msg, NatsConnection, RequestOptions } from 'nats';
import type { Connector } from './connector.js';

export interface JetStreamHandle {
  /** Publishing, consumers and key-value views; throws TransportError `closed` while not connected. */
  client(): JetStreamClient;
  /** Streams and consumers administered; one manager per connection, made on first use. */
  manager(): Promise<JetStreamManager>;
  /** A plain request on the same connection (a key-value put acknowledged by its stream costs no API call). */
  request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<Msg>;
  /** The connection itself, for services that set their own JetStream options (timeouts, domains). */
  connection(): NatsConnection;
  /** A fresh inbox subject under this connection's prefix, the only inboxes the broker lets it subscribe to. */
  newInbox(): string;
}

/** The connector's JetStream, or undefined when its broker offers none. */
export function jetStreamOf(connector: Connector): JetStreamHandle | undefined {
  return connector.jetStream?.();
}
