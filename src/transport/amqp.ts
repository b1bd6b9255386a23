// The Connector over RabbitMQ (AMQP 0-9-1, amqplib). Topology in amqp/topology.ts, reply addressing in
// amqp/addresses.ts. amqplib leaves a dropped connection dropped, so this class reconnects itself: with backoff, across
// the configured brokers, re-declaring the topology and re-consuming every subscription.
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import {
  backoffDelay,
  TransportError,
  type Connector,
  type ConnectorEvent,
  type Destination,
  type MessageHandler,
  type ReplyInbox,
  type Subscription,
} from './connector.js';
import { DIRECT_REPLY_TO, inboxAddress, isInboxToken, parseReplyAddress, replyAddress } from './amqp/addresses.js';
import { tlsFiles, type ConnectorPlugin } from './from-config.js';
import { endpointsFrom, type AmqpSettings, type Endpoint, type TlsFiles } from './amqp/endpoints.js';
import { DEFAULT_QUEUE_LIMITS, EXCHANGE_OPTIONS, nodeQueueOptions, routeOf, type ExchangeType, type QueueLimits } from './amqp/topology.js';

export interface AmqpConnectorOptions extends Partial<AmqpSettings> {
  /** amqp:// or amqps:// URLs, tried in order. */
  servers: string[];
  /** Shown in the broker's connection list. */
  name?: string;
  /** Keep retrying the first connection (daemons) instead of failing once every broker refused (clients). */
  waitForBroker?: boolean;
  /** Per broker, for the TCP connect and the AMQP handshake together. */
  connectTimeoutMs?: number;
  maxReconnectWaitMs?: number;
  tls?: TlsFiles;
  queueLimits?: QueueLimits;
}

/** One open connection and the channel everything runs on (requests, replies and the direct reply-to consumer). */
interface Link {
  readonly model: ChannelModel;
  readonly channel: Channel;
  readonly server: string;
  /** Exchanges declared on this connection. */
  readonly exchanges: Map<string, Promise<void>>;
  /** Binding keys applied to this connection's queue. */
  readonly bound: Set<string>;
  queue?: Promise<string>;
  consumerTag?: string;
  replyConsumer?: Promise<void>;
  lost: boolean;
}

interface Binding {
  exchange: string;
  type: ExchangeType;
  routingKey: string;
  handlers: Set<MessageHandler>;
}

interface Inbox {
  handler: MessageHandler;
  /** The connection its requests went out on: their replies can only come back on it. */
  sentOn?: Link;
  lost: boolean;
}

type State = 'idle' | 'connecting' | 'open' | 'recovering' | 'closed';

const bindingKey = (exchange: string, routingKey: string) => `${exchange}\u0000${routingKey}`;

/** How many recent requests a node remembers the broker reply route of, for replies addressed by inbox name. */
const REMEMBERED_ROUTES = 1024;

export class AmqpConnector implements Connector {
  readonly kind = 'amqp';
  private readonly endpoints: Endpoint[];
  private readonly listeners: Array<(e: ConnectorEvent) => void> = [];
  private readonly bindings = new Map<string, Binding>();
  private readonly inboxes = new Map<string, Inbox>();
  private readonly routes = new Map<string, string>();
  private readonly limits: QueueLimits;
  private state: State = 'idle';
  private link?: Link;
  private next = 0;
  private inboxSeq = 0;
  private wake?: () => void;
  private lastFailure?: string;

  constructor(private readonly opts: AmqpConnectorOptions) {
    this.endpoints = endpointsFrom(
      opts.servers,
      {
        vhost: opts.vhost ?? '/',
        user: opts.user ?? 'guest',
        password: opts.password ?? 'guest',
        heartbeatSeconds: opts.heartbeatSeconds ?? 30,
      },
      opts.tls,
    );
    this.limits = opts.queueLimits ?? DEFAULT_QUEUE_LIMITS;
  }

  onEvent(listener: (event: ConnectorEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: ConnectorEvent): void {
    for (const l of this.listeners) l(event);
  }

  // ---- connecting and reconnecting ----

  async connect(): Promise<void> {
    if (this.state !== 'idle') throw new TransportError('closed', `connect() called on a ${this.state} RabbitMQ connector`);
    this.state = 'connecting';
    let attempt = 0;
    for (;;) {
      const failures: string[] = [];
      for (let i = 0; i < this.endpoints.length; i++) {
        if (this.state !== 'connecting') throw new TransportError('closed', 'connector closed while connecting to RabbitMQ');
        const link = await this.tryEndpoint(failures);
        if (link) {
          this.state = 'open';
          this.emit({ type: 'connected', server: link.server });
          return;
        }
      }
      if (!this.opts.waitForBroker) {
        this.state = 'closed';
        throw new TransportError('connect_failed', `cannot connect to RabbitMQ: ${failures.join('; ')}`);
      }
      this.reportFailures(failures);
      const delayMs = backoffDelay(attempt++, this.opts.maxReconnectWaitMs ?? 5000);
      this.emit({ type: 'reconnecting', attempt, delayMs });
      await this.pause(delayMs);
    }
  }

  /** Opens the next broker in turn and restores everything on it; undefined (failure noted) when that fails. */
  private async tryEndpoint(failures: string[]): Promise<Link | undefined> {
    const endpoint = this.endpoints[this.next]!;
    this.next = (this.next + 1) % this.endpoints.length;
    let link: Link | undefined;
    try {
      link = await this.open(endpoint);
      await this.restore(link);
      if (this.state === 'closed') throw new TransportError('closed', 'connector closed');
      if (link.lost) throw new Error('connection dropped while setting up');
      this.link = link;
      return link;
    } catch (err) {
      failures.push(`${endpoint.label}: ${describe(err)}`);
      if (link) {
        link.lost = true;
        await link.model.close().catch(() => undefined);
      }
      if (err instanceof TransportError && err.code !== 'closed') throw err;
      return undefined;
    }
  }

  private async open(endpoint: Endpoint): Promise<Link> {
    // Loaded when an AMQP connection is made: a NATS site never pays for amqplib.
    const { connect: amqpConnect } = await import('amqplib');
    const model = await amqpConnect(endpoint.connect, {
      ...endpoint.socket,
      timeout: this.opts.connectTimeoutMs ?? 5000,
      // Requests and replies are small and latency-bound: no Nagle delay.
      noDelay: true,
      clientProperties: { connection_name: this.opts.name ?? 'troupe' },
    });
    model.on('error', (err: Error) => this.emit({ type: 'error', error: err }));
    model.on('blocked', (reason: string) =>
      this.emit({ type: 'error', error: new Error(`RabbitMQ is holding back publishing: ${reason}`) }),
    );
    let channel: Channel;
    try {
      channel = await model.createChannel();
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    const link: Link = { model, channel, server: endpoint.label, exchanges: new Map(), bound: new Set(), lost: false };
    // A channel error (e.g. a refused declaration) closes only the channel: treat it as a lost connection, so
    // recovery re-creates everything in one known way.
    channel.on('error', () => undefined);
    channel.on('close', () => this.lost(link));
    model.on('close', () => this.lost(link));
    return link;
  }

  /** Declares the topology this connector uses and re-consumes; run on every new connection. */
  private async restore(link: Link): Promise<void> {
    for (const b of this.bindings.values()) await this.declareExchange(link, b.exchange, b.type);
    if (this.bindings.size > 0) await this.nodeQueue(link);
  }

  private lost(link: Link): void {
    if (link.lost) return;
    link.lost = true;
    void link.model.close().catch(() => undefined);
    if (this.link !== link) return;
    this.link = undefined;
    for (const inbox of this.inboxes.values()) if (inbox.sentOn === link) inbox.lost = true;
    if (this.state !== 'open') return;
    this.state = 'recovering';
    this.emit({ type: 'disconnected', server: link.server });
    void this.recover();
  }

  private async recover(): Promise<void> {
    let attempt = 0;
    while (this.state === 'recovering') {
      const delayMs = backoffDelay(attempt++, this.opts.maxReconnectWaitMs ?? 5000);
      this.emit({ type: 'reconnecting', attempt, delayMs });
      await this.pause(delayMs);
      const failures: string[] = [];
      for (let i = 0; i < this.endpoints.length && this.state === 'recovering'; i++) {
        const link = await this.tryEndpoint(failures).catch((err: unknown) => {
          this.emit({ type: 'error', error: err as Error });
          return undefined;
        });
        if (!link) continue;
        if (this.state !== 'recovering') {
          // close() ran while this connection was being set up: make sure it goes too.
          link.lost = true;
          this.link = undefined;
          await link.model.close().catch(() => undefined);
          return;
        }
        this.state = 'open';
        this.lastFailure = undefined;
        this.emit({ type: 'reconnected', server: link.server });
        return;
      }
      if (this.state === 'recovering') this.reportFailures(failures);
    }
  }

  /** Tells a waiting daemon why it cannot connect (refused login, no route…), once per change of reason. */
  private reportFailures(failures: string[]): void {
    const text = failures.join('; ');
    if (text === this.lastFailure) return;
    this.lastFailure = text;
    this.emit({ type: 'error', error: new TransportError('connect_failed', `cannot reach RabbitMQ, retrying: ${text}`) });
  }

  /** Sleeps between attempts; close() cuts it short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private current(): Link {
    if (this.link && !this.link.lost) return this.link;
    const why = this.state === 'recovering' ? 'the connection dropped and is being re-established' : `the connector is ${this.state}`;
    throw new TransportError('closed', `not connected to RabbitMQ: ${why}`);
  }

  // ---- topology ----

  private declareExchange(link: Link, exchange: string, type: ExchangeType): Promise<void> {
    let declared = link.exchanges.get(exchange);
    if (!declared) {
      declared = link.channel.assertExchange(exchange, type, EXCHANGE_OPTIONS).then(() => undefined);
      link.exchanges.set(exchange, declared);
      declared.catch(() => link.exchanges.delete(exchange));
    }
    return declared;
  }

  /** This connection's queue: declared, bound for every subscription and consumed, once per connection. */
  private nodeQueue(link: Link): Promise<string> {
    link.queue ??= (async () => {
      const { queue } = await link.channel.assertQueue('', nodeQueueOptions(this.limits));
      for (const b of this.bindings.values()) await this.bind(link, queue, b);
      const { consumerTag } = await link.channel.consume(queue, (msg) => this.deliver(link, msg), { noAck: true });
      link.consumerTag = consumerTag;
      return queue;
    })();
    return link.queue;
  }

  private async bind(link: Link, queue: string, b: Binding): Promise<void> {
    const key = bindingKey(b.exchange, b.routingKey);
    if (link.bound.has(key)) return;
    link.bound.add(key);
    await link.channel.bindQueue(queue, b.exchange, b.routingKey);
  }

  private deliver(link: Link, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (its queue was deleted): start over on a fresh connection.
      this.lost(link);
      return;
    }
    const binding = this.bindings.get(bindingKey(msg.fields.exchange, msg.fields.routingKey));
    if (!binding) return;
    const { replyTo, correlationId } = msg.properties as { replyTo?: string; correlationId?: string };
    if (replyTo && correlationId) this.rememberRoute(correlationId, replyTo);
    const inbound = { data: msg.content, replyTo: replyTo ? replyAddress(replyTo, correlationId) : undefined };
    for (const handler of binding.handlers) {
      try {
        handler(inbound);
      } catch (err) {
        this.emit({ type: 'error', error: err as Error });
      }
    }
  }

  private rememberRoute(token: string, brokerReplyTo: string): void {
    this.routes.delete(token);
    this.routes.set(token, brokerReplyTo);
    if (this.routes.size > REMEMBERED_ROUTES) this.routes.delete(this.routes.keys().next().value!);
  }

  // ---- the Connector interface ----

  async subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription> {
    const link = this.current();
    const route = routeOf(dest);
    const key = bindingKey(route.exchange, route.routingKey);
    let binding = this.bindings.get(key);
    if (!binding) {
      binding = { ...route, handlers: new Set() };
      this.bindings.set(key, binding);
    }
    binding.handlers.add(handler);
    const unsubscribe = async () => this.unsubscribe(key, handler);
    try {
      await this.declareExchange(link, route.exchange, route.type);
      await this.bind(link, await this.nodeQueue(link), binding);
    } catch (err) {
      // Lost connection: recovery binds it on the next one. Refused by the broker: the caller must know.
      if (link.lost && !isBrokerRefusal(err)) return { unsubscribe };
      await unsubscribe();
      throw refusal(err, `cannot subscribe to ${route.exchange} '${route.routingKey}'`);
    }
    return { unsubscribe };
  }

  private async unsubscribe(key: string, handler: MessageHandler): Promise<void> {
    const binding = this.bindings.get(key);
    if (!binding?.handlers.delete(handler) || binding.handlers.size > 0) return;
    this.bindings.delete(key);
    const link = this.link;
    if (!link || link.lost || !link.bound.delete(key) || !link.queue) return;
    const queue = await link.queue.catch(() => undefined);
    if (queue) await link.channel.unbindQueue(queue, binding.exchange, binding.routingKey).catch(() => undefined);
  }

  async openInbox(_collective: string, _sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox> {
    const link = this.current();
    if (!isInboxToken(requestId))
      throw new TransportError('bad_address', `request id '${requestId}' cannot serve as an AMQP correlation id`);
    let token = requestId;
    while (this.inboxes.has(token)) token = `${requestId}.${++this.inboxSeq}`;
    const inbox: Inbox = { handler, lost: false };
    this.inboxes.set(token, inbox);
    try {
      await this.replyConsumer(link);
    } catch (err) {
      this.inboxes.delete(token);
      throw refusal(err, 'cannot consume direct reply-to');
    }
    return {
      address: inboxAddress(token),
      close: async () => {
        this.inboxes.delete(token);
        if (inbox.lost) {
          throw new TransportError(
            'closed',
            `the connection to RabbitMQ dropped while request ${requestId} was waiting for replies; replies sent to it are lost`,
          );
        }
      },
    };
  }

  private replyConsumer(link: Link): Promise<void> {
    link.replyConsumer ??= link.channel
      .consume(
        DIRECT_REPLY_TO,
        (msg) => {
          const token = msg?.properties.correlationId as string | undefined;
          if (msg && token) this.inboxes.get(token)?.handler({ data: msg.content });
        },
        { noAck: true },
      )
      .then(() => undefined);
    return link.replyConsumer;
  }

  async publish(dest: Destination, data: Uint8Array, replyTo?: string): Promise<void> {
    const link = this.current();
    const route = routeOf(dest);
    const options: Options.Publish = {};
    // Only an inbox of this connector has a consumer for its replies; any other address gets none.
    const reply = replyTo === undefined ? undefined : parseReplyAddress(replyTo);
    const token = reply?.kind === 'inbox' ? reply.token : undefined;
    const inbox = token === undefined ? undefined : this.inboxes.get(token);
    try {
      await this.declareExchange(link, route.exchange, route.type);
      if (inbox) {
        await this.replyConsumer(link);
        inbox.sentOn = link;
        options.replyTo = DIRECT_REPLY_TO;
        options.correlationId = token;
      }
    } catch (err) {
      throw refusal(err, `cannot publish to ${route.exchange}`);
    }
    await this.write(link, route.exchange, route.routingKey, data, options);
  }

  async reply(address: string, data: Uint8Array): Promise<void> {
    const link = this.current();
    const route = parseReplyAddress(address);
    if (route.kind === 'inbox') {
      const brokerReplyTo = this.routes.get(route.token);
      if (!brokerReplyTo)
        throw new TransportError(
          'bad_address',
          `no request from inbox ${address} was seen on this connection, so its reply route is unknown`,
        );
      await this.write(link, '', brokerReplyTo, data, { correlationId: route.token });
      return;
    }
    if (!route.routingKey.startsWith(DIRECT_REPLY_TO)) {
      // No troupe client listens anywhere else (a fire-and-forget request names an inbox nobody opened), and
      // publishing to the default exchange would let a request steer replies into any queue of the vhost.
      return;
    }
    if (Buffer.byteLength(route.routingKey) > 255 || /[\s\u0000-\u001f\u007f]/.test(route.routingKey)) {
      throw new TransportError('bad_address', `not a usable RabbitMQ reply address: ${JSON.stringify(address.slice(0, 80))}`);
    }
    await this.write(link, '', route.routingKey, data, route.correlationId ? { correlationId: route.correlationId } : {});
  }

  /** Publishes, then waits for the socket to drain when amqplib says its buffer is full. */
  private async write(link: Link, exchange: string, routingKey: string, data: Uint8Array, options: Options.Publish): Promise<void> {
    const content = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let flowing: boolean;
    try {
      flowing = link.channel.publish(exchange, routingKey, content, options);
    } catch (err) {
      throw new TransportError(link.lost ? 'closed' : 'publish_failed', `cannot publish to RabbitMQ: ${describe(err)}`, { cause: err });
    }
    if (!flowing) await drained(link.channel);
  }

  async flush(): Promise<void> {
    const link = this.current();
    try {
      // The channel handles methods in order: once a synchronous one is answered, every earlier publish was routed.
      await link.channel.checkExchange('amq.direct');
    } catch (err) {
      throw new TransportError('closed', `lost RabbitMQ while flushing: ${describe(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const previous = this.state;
    if (previous === 'closed') return;
    this.state = 'closed';
    this.wake?.();
    const link = this.link;
    this.link = undefined;
    if (!link || link.lost) return;
    link.lost = true;
    try {
      if (link.consumerTag) await link.channel.cancel(link.consumerTag);
      await link.channel.checkExchange('amq.direct');
    } catch {
      // Already going: nothing in flight to wait for.
    }
    await link.model.close().catch(() => undefined);
  }
}

function drained(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** AMQP reply codes by which the broker refuses an operation (rather than the network failing). */
function isBrokerRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 403 || code === 404 || code === 405 || code === 406 || code === 530;
}

function refusal(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as { code?: unknown }).code;
  const transportCode = code === 403 || code === 530 ? 'connect_failed' : isBrokerRefusal(err) ? 'bad_address' : 'closed';
  return new TransportError(transportCode, `${what}: ${describe(err)}`, { cause: err });
}

/** `connector = amqp`; amqps:// URLs turn TLS on. */
export const amqpConnector: ConnectorPlugin = {
  name: 'amqp',
  create(config, role) {
    if (config.get('use_srv') && !config.isSet('middleware_hosts'))
      throw new TransportError('bad_address', 'use_srv finds NATS brokers only: with connector = amqp, set middleware_hosts');
    return new AmqpConnector({
      servers: config.get('middleware_hosts'),
      name: role.name,
      waitForBroker: role.waitForBroker,
      vhost: config.get('plugin.amqp.vhost'),
      user: config.get('plugin.amqp.user'),
      password: config.get('plugin.amqp.password'),
      heartbeatSeconds: config.get('plugin.amqp.heartbeat'),
      connectTimeoutMs: config.get('plugin.amqp.connect_timeout') * 1000,
      maxReconnectWaitMs: config.get('plugin.amqp.max_reconnect_wait') * 1000,
      tls: tlsFiles(config, role.identity),
      queueLimits: { messageTtlMs: config.get('plugin.amqp.message_ttl') * 1000, maxLength: config.get('plugin.amqp.max_queue_length') },
    });
  },
};
