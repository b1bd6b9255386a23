// An in-memory broker for unit tests: exact-subject routing, asynchronous delivery, a log of what was published.
// Its connectors keep the Connector contract (test/unit/transport/memory.test.ts runs the suite NATS and AMQP pass).
import { broadcastSubject, nodeSubject, replySubject } from '../../src/protocol/index.js';
import {
  TransportError,
  type Connector,
  type ConnectorEvent,
  type Destination,
  type InboundMessage,
  type MessageHandler,
  type ReplyInbox,
  type Subscription,
} from '../../src/transport/index.js';

export class MemoryBroker {
  private readonly subs = new Map<string, Set<MessageHandler>>();
  private readonly connectors = new Set<MemoryConnector>();
  readonly published: Array<{ subject: string; data: Uint8Array; replyTo?: string; at: number }> = [];

  deliver(subject: string, data: Uint8Array, replyTo?: string): void {
    this.published.push({ subject, data, replyTo, at: Date.now() });
    const msg: InboundMessage = replyTo === undefined ? { data } : { data, replyTo };
    for (const h of this.subs.get(subject) ?? []) setImmediate(() => h(msg));
  }

  listen(subject: string, handler: MessageHandler): () => void {
    let set = this.subs.get(subject);
    if (!set) this.subs.set(subject, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  subscribers(subject: string): number {
    return this.subs.get(subject)?.size ?? 0;
  }

  connector(): MemoryConnector {
    const connector = new MemoryConnector(this);
    this.connectors.add(connector);
    return connector;
  }

  /** Every open connector loses its connection and gets it back at once, subscriptions kept (a broker restart). */
  async dropConnections(): Promise<void> {
    for (const c of this.connectors) c.drop();
    await new Promise((r) => setImmediate(r));
    for (const c of this.connectors) c.restore();
  }
}

const subjectOf = (d: Destination) =>
  d.kind === 'broadcast' ? broadcastSubject(d.collective, d.agent) : nodeSubject(d.collective, d.identity);

export class MemoryConnector implements Connector {
  readonly kind = 'memory';
  connected = false;
  closed = false;
  /** Between a drop and its reconnect: work is refused as a real connector's is. */
  private down = false;
  readonly subjects: string[] = [];
  private readonly listeners: Array<(e: ConnectorEvent) => void> = [];
  private readonly offs = new Set<() => void>();

  constructor(private readonly broker: MemoryBroker) {}

  private emit(event: ConnectorEvent): void {
    for (const l of this.listeners) l(event);
  }

  private open(): void {
    if (this.closed) throw new TransportError('closed', 'the in-memory connector is closed');
    if (this.down) throw new TransportError('closed', 'the in-memory connector lost its connection');
  }

  async connect(): Promise<void> {
    if (this.closed) throw new TransportError('closed', 'the in-memory connector is closed');
    this.connected = true;
    this.emit({ type: 'connected', server: 'memory' });
  }

  drop(): void {
    if (!this.connected || this.closed) return;
    this.down = true;
    this.emit({ type: 'disconnected', server: 'memory' });
  }

  restore(): void {
    if (!this.down || this.closed) return;
    this.down = false;
    this.emit({ type: 'reconnected', server: 'memory' });
  }

  private listen(subject: string, handler: MessageHandler): () => void {
    const off = this.broker.listen(subject, handler);
    const once = () => {
      off();
      this.offs.delete(once);
    };
    this.offs.add(once);
    return once;
  }

  async subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription> {
    this.open();
    const subject = subjectOf(dest);
    this.subjects.push(subject);
    const off = this.listen(subject, handler);
    return { unsubscribe: async () => off() };
  }

  async openInbox(collective: string, sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox> {
    this.open();
    const address = replySubject(collective, sender, requestId);
    const off = this.listen(address, handler);
    return { address, close: async () => off() };
  }

  async publish(dest: Destination, data: Uint8Array, replyTo?: string): Promise<void> {
    this.open();
    this.broker.deliver(subjectOf(dest), data, replyTo);
  }

  async reply(address: string, data: Uint8Array): Promise<void> {
    this.open();
    this.broker.deliver(address, data);
  }

  async flush(): Promise<void> {
    this.open();
    await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of [...this.offs]) off();
  }

  onEvent(listener: (event: ConnectorEvent) => void): void {
    this.listeners.push(listener);
  }
}
