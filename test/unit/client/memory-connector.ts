// An in-memory broker for unit tests: exact-subject routing, asynchronous delivery, a log of what was published.
import { broadcastSubject, nodeSubject, replySubject } from '../../../src/protocol/index.js';
import type { Connector, ConnectorEvent, Destination, MessageHandler, ReplyInbox, Subscription } from '../../../src/transport/index.js';

export class MemoryBroker {
  private readonly subs = new Map<string, Set<MessageHandler>>();
  readonly published: Array<{ subject: string; data: Uint8Array; at: number }> = [];

  deliver(subject: string, data: Uint8Array): void {
    this.published.push({ subject, data, at: Date.now() });
    for (const h of this.subs.get(subject) ?? []) setImmediate(() => h({ data }));
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
    return new MemoryConnector(this);
  }
}

const subjectOf = (d: Destination) => (d.kind === 'broadcast' ? broadcastSubject(d.collective, d.agent) : nodeSubject(d.collective, d.identity));

export class MemoryConnector implements Connector {
  readonly kind = 'memory';
  connected = false;
  closed = false;
  readonly subjects: string[] = [];

  constructor(private readonly broker: MemoryBroker) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async subscribe(dest: Destination, handler: MessageHandler): Promise<Subscription> {
    const subject = subjectOf(dest);
    this.subjects.push(subject);
    const off = this.broker.listen(subject, handler);
    return { unsubscribe: async () => off() };
  }

  async openInbox(collective: string, sender: string, requestId: string, handler: MessageHandler): Promise<ReplyInbox> {
    const address = replySubject(collective, sender, requestId);
    const off = this.broker.listen(address, handler);
    return { address, close: async () => off() };
  }

  async publish(dest: Destination, data: Uint8Array): Promise<void> {
    this.broker.deliver(subjectOf(dest), data);
  }

  async reply(address: string, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('closed');
    this.broker.deliver(address, data);
  }

  async flush(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  onEvent(_listener: (event: ConnectorEvent) => void): void {}
}
