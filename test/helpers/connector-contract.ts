// The Connector contract: what every transport must do, run by each transport's test file (NATS and AMQP against a
// real broker, the in-memory connector of the unit tests against itself).
import { afterEach, describe, expect, it } from 'vitest';
import {
  TransportError,
  type Connector,
  type ConnectorEvent,
  type InboundMessage,
  type MessageHandler,
} from '../../src/transport/index.js';

export interface ContractFixture {
  /** A new, unconnected connector on the test broker. */
  connector(opts?: { name?: string; waitForBroker?: boolean }): Connector;
  /** Makes the broker drop every client connection; connectors must come back on their own. */
  dropConnections(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const text = (s: string) => encoder.encode(s);
export const str = (b: Uint8Array) => decoder.decode(b);

/** A request frame shaped like troupe's: it records the reply address, which publish() is also given. */
export function requestFrame(replyTo: string, body: string): Uint8Array {
  return text(JSON.stringify({ protocol: 'troupe:transport:1', reply_to: replyTo, sender: 'contract', data: { body } }));
}

export class Collector {
  readonly messages: InboundMessage[] = [];
  readonly handler: MessageHandler = (msg) => this.messages.push({ data: new Uint8Array(msg.data), replyTo: msg.replyTo });
  texts(): string[] {
    return this.messages.map((m) => str(m.data));
  }
}

export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets anything in flight arrive: a broker round trip from every connector, then a short pause. */
export async function settle(...connectors: Connector[]): Promise<void> {
  await Promise.all(connectors.map((c) => c.flush()));
  await new Promise((r) => setTimeout(r, 250));
}

/** A node that answers every request on its subscriptions with `<identity>:<body>`, as the daemon would reply. */
export function echoNode(connector: Connector, identity: string): MessageHandler {
  return (msg) => {
    const frame = JSON.parse(str(msg.data)) as { reply_to: string; data: { body: string } };
    void connector.reply(msg.replyTo ?? frame.reply_to, text(`${identity}:${frame.data.body}`)).catch(() => undefined);
  };
}

export function connectorContract(name: string, fixture: () => ContractFixture): void {
  describe(`Connector contract: ${name}`, () => {
    const open: Connector[] = [];
    const connected = async (label: string, waitForBroker = false): Promise<Connector> => {
      const c = fixture().connector({ name: `contract ${label}`, waitForBroker });
      open.push(c);
      await c.connect();
      return c;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    });

    it('delivers a broadcast to the subscribers of its agent only, bytes intact', async () => {
      const node = await connected('node', true);
      const client = await connected('client');
      const alpha = new Collector();
      const beta = new Collector();
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, alpha.handler);
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'beta' }, beta.handler);
      await node.flush();
      const payload = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, payload);
      await client.flush();
      await until(() => alpha.messages.length === 1, 'the alpha broadcast');
      await settle(client, node);
      expect(alpha.messages).toHaveLength(1);
      expect([...alpha.messages[0]!.data]).toEqual([...payload]);
      expect(beta.messages).toHaveLength(0);
    });

    it('fans one broadcast out to every subscribed connection, once each', async () => {
      const client = await connected('client');
      const collectors = Array.from({ length: 4 }, () => new Collector());
      for (const [i, c] of collectors.entries()) {
        const node = await connected(`node${i}`, true);
        await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, c.handler);
        await node.flush();
      }
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, text('to all'));
      await until(() => collectors.every((c) => c.messages.length >= 1), 'every node to get the broadcast');
      await settle(client);
      expect(collectors.map((c) => c.texts())).toEqual(collectors.map(() => ['to all']));
    });

    it('keeps collectives apart', async () => {
      const node = await connected('node', true);
      const client = await connected('client');
      const inC1 = new Collector();
      const inC2 = new Collector();
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, inC1.handler);
      await node.subscribe({ kind: 'broadcast', collective: 'c2', agent: 'alpha' }, inC2.handler);
      await node.flush();
      await client.publish({ kind: 'broadcast', collective: 'c2', agent: 'alpha' }, text('for c2'));
      await until(() => inC2.messages.length === 1, 'the c2 broadcast');
      await settle(client, node);
      expect(inC1.messages).toHaveLength(0);
      expect(inC2.texts()).toEqual(['for c2']);
    });

    it('addresses one node directly by identity', async () => {
      const client = await connected('client');
      const collectors = new Map<string, Collector>();
      for (const identity of ['n1', 'n2', 'n3']) {
        const node = await connected(identity, true);
        const c = new Collector();
        collectors.set(identity, c);
        await node.subscribe({ kind: 'node', collective: 'c1', identity }, c.handler);
        await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, c.handler);
        await node.flush();
      }
      await client.publish({ kind: 'node', collective: 'c1', identity: 'n2' }, text('just n2'));
      await until(() => collectors.get('n2')!.messages.length === 1, 'the direct request');
      await settle(client);
      expect(collectors.get('n1')!.messages).toHaveLength(0);
      expect(collectors.get('n3')!.messages).toHaveLength(0);
      expect(collectors.get('n2')!.texts()).toEqual(['just n2']);
    });

    it('routes replies to the inbox of the request', async () => {
      const client = await connected('client');
      for (const identity of ['n1', 'n2', 'n3']) {
        const node = await connected(identity, true);
        await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, echoNode(node, identity));
        await node.flush();
      }
      const replies = new Collector();
      const inbox = await client.openInbox('c1', 'contract', 'a1b2c3d4e5f60718293a4b5c6d7e8f90', replies.handler);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, requestFrame(inbox.address, 'ping'), inbox.address);
      await until(() => replies.messages.length === 3, 'three replies');
      await inbox.close();
      expect(replies.texts().sort()).toEqual(['n1:ping', 'n2:ping', 'n3:ping']);
    });

    it('hands the node the reply address publish was given, with no frame to read it from', async () => {
      const client = await connected('client');
      const node = await connected('node', true);
      const seen: Array<string | undefined> = [];
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, (msg) => {
        seen.push(msg.replyTo);
        if (msg.replyTo) void node.reply(msg.replyTo, text(`re:${str(msg.data)}`)).catch(() => undefined);
      });
      await node.flush();
      const replies = new Collector();
      const inbox = await client.openInbox('c1', 'contract', '77777777777777777777777777777777', replies.handler);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, text('opaque bytes'), inbox.address);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, text('no reply wanted'));
      await until(() => replies.messages.length === 1 && seen.length === 2, 'the reply and both requests');
      await settle(client, node);
      expect(replies.texts()).toEqual(['re:opaque bytes']);
      expect(seen[0]).toBeDefined();
      expect(seen[1]).toBeUndefined();
      await inbox.close();
    });

    it('keeps the replies of concurrent requests apart', async () => {
      const client = await connected('client');
      for (const identity of ['n1', 'n2']) {
        const node = await connected(identity, true);
        await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, echoNode(node, identity));
        await node.flush();
      }
      const first = new Collector();
      const second = new Collector();
      const inbox1 = await client.openInbox('c1', 'contract', '11111111111111111111111111111111', first.handler);
      const inbox2 = await client.openInbox('c1', 'contract', '22222222222222222222222222222222', second.handler);
      expect(inbox1.address).not.toBe(inbox2.address);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, requestFrame(inbox1.address, 'one'), inbox1.address);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, requestFrame(inbox2.address, 'two'), inbox2.address);
      await until(() => first.messages.length === 2 && second.messages.length === 2, 'two replies per request');
      await settle(client);
      expect(first.texts().sort()).toEqual(['n1:one', 'n2:one']);
      expect(second.texts().sort()).toEqual(['n1:two', 'n2:two']);
      await inbox1.close();
      await inbox2.close();
    });

    it('stops delivering after unsubscribe and keeps the other subscriptions', async () => {
      const node = await connected('node', true);
      const client = await connected('client');
      const h1 = new Collector();
      const h2 = new Collector();
      const other = new Collector();
      const dest = { kind: 'broadcast', collective: 'c1', agent: 'alpha' } as const;
      const sub1 = await node.subscribe(dest, h1.handler);
      const sub2 = await node.subscribe(dest, h2.handler);
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'beta' }, other.handler);
      await node.flush();

      await sub1.unsubscribe();
      await node.flush();
      await client.publish(dest, text('after first unsubscribe'));
      await until(() => h2.messages.length === 1, 'the second handler');
      await sub2.unsubscribe();
      await node.flush();
      await client.publish(dest, text('after both'));
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'beta' }, text('still here'));
      await until(() => other.messages.length === 1, 'the untouched subscription');
      await settle(client, node);
      expect(h1.messages).toHaveLength(0);
      expect(h2.texts()).toEqual(['after first unsubscribe']);
      expect(other.texts()).toEqual(['still here']);
    });

    it('delivers nothing to an inbox once it is closed', async () => {
      const client = await connected('client');
      const node = await connected('node', true);
      const held: Array<{ replyTo?: string; frame: { reply_to: string } }> = [];
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, (m) =>
        held.push({ replyTo: m.replyTo, frame: JSON.parse(str(m.data)) as { reply_to: string } }),
      );
      await node.flush();
      const replies = new Collector();
      const inbox = await client.openInbox('c1', 'contract', '33333333333333333333333333333333', replies.handler);
      await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, requestFrame(inbox.address, 'late'), inbox.address);
      await until(() => held.length === 1, 'the request');
      await inbox.close();
      await node.reply(held[0]!.replyTo ?? held[0]!.frame.reply_to, text('too late'));
      await settle(node, client);
      expect(replies.messages).toHaveLength(0);
    });

    it('comes back by itself when the broker drops its connections, with its subscriptions', async () => {
      const node = await connected('node', true);
      const client = await connected('client');
      const events: ConnectorEvent['type'][] = [];
      node.onEvent((e) => events.push(e.type));
      await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, echoNode(node, 'n1'));
      await node.subscribe({ kind: 'node', collective: 'c1', identity: 'n1' }, echoNode(node, 'n1'));
      await node.flush();

      await fixture().dropConnections();
      await until(() => events.includes('reconnected'), 'the node to reconnect', 20_000);
      expect(events).toContain('disconnected');

      // The client reconnects on its own schedule: ask until both sides are back and the node answers both ways.
      let answered: string[] = [];
      const deadline = Date.now() + 20_000;
      for (let round = 1; answered.length < 2 && Date.now() < deadline; round++) {
        const replies = new Collector();
        const inbox = await client
          .openInbox('c1', 'contract', `4444444444444444444444444444${String(round).padStart(4, '0')}`, replies.handler)
          .catch(() => undefined);
        if (inbox) {
          await client
            .publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, requestFrame(inbox.address, 'broadcast again'), inbox.address)
            .catch(() => undefined);
          await client
            .publish({ kind: 'node', collective: 'c1', identity: 'n1' }, requestFrame(inbox.address, 'direct again'), inbox.address)
            .catch(() => undefined);
          await until(() => replies.messages.length === 2, 'replies', 500).catch(() => undefined);
          await inbox.close().catch(() => undefined);
          answered = replies.texts().sort();
        } else {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(answered).toEqual(['n1:broadcast again', 'n1:direct again']);
    });

    it('refuses work once closed, and closing twice is harmless', async () => {
      const client = await connected('client');
      await client.close();
      await client.close();
      const failure = await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, text('x')).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(TransportError);
      expect((failure as TransportError).code).toBe('closed');
    });
  });
}
