// The Connector contract over RabbitMQ (the run's private node, a vhost of our own), then what only AMQP has to prove:
// failover across URLs, clear failures while the connection is down, and replies addressed by inbox name.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AmqpConnector, type AmqpConnectorOptions } from '../../../src/transport/amqp.js';
import { inboxAddress, parseReplyAddress, replyAddress } from '../../../src/transport/amqp/addresses.js';
import { endpointsFrom } from '../../../src/transport/amqp/endpoints.js';
import { TransportError, type Connector } from '../../../src/transport/index.js';
import { freePort } from '../../helpers/broker.js';
import { rabbitmqctl, sharedRabbitMQ, testVhost, type Vhost } from '../../helpers/rabbitmq.js';
import { Collector, connectorContract, requestFrame, settle, str, text, until } from '../../helpers/connector-contract.js';

let vhost: Vhost;

beforeAll(async () => {
  vhost = await testVhost('troupe-contract');
});

afterAll(async () => {
  await vhost?.remove();
});

const dropConnections = async () => {
  await vhost.ctl(['close_all_connections', '-p', vhost.name, 'contract test: dropping every connection']);
};

connectorContract('RabbitMQ', () => ({
  connector: (opts = {}) =>
    new AmqpConnector({ servers: [vhost.url], name: opts.name, waitForBroker: opts.waitForBroker, maxReconnectWaitMs: 500 }),
  dropConnections,
}));

describe("the tests' RabbitMQ", () => {
  it("is a private node: not on 5672, and deaf to the machine's Erlang cookie", async () => {
    const node = await sharedRabbitMQ();
    expect(new URL(vhost.url).port).toBe(String(node.port));
    expect(node.port).not.toBe(5672);
    expect(node.nodeName).toMatch(/^troupe-[0-9a-f]{8}@localhost$/);
    // Debian's rabbitmqctl as root runs with the rabbitmq user's cookie, the machine broker's: the node refuses it.
    await expect(rabbitmqctl(['status'], { node: node.nodeName })).rejects.toThrow(/failed/);
    expect(await node.ctl(['list_vhosts', '--silent'])).toContain(vhost.name);
  });
});

describe('AMQP addresses and broker URLs', () => {
  it('tells broker reply routes, inbox names and other addresses apart', () => {
    const route = 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUA5MjQ4/ODg0+AAADLw==';
    expect(parseReplyAddress(replyAddress(route, 'abc'))).toEqual({ kind: 'route', routingKey: route, correlationId: 'abc' });
    expect(parseReplyAddress(inboxAddress('abc'))).toEqual({ kind: 'inbox', token: 'abc' });
    expect(parseReplyAddress('mcollective.reply.x.y')).toEqual({ kind: 'route', routingKey: 'mcollective.reply.x.y' });
  });

  it('reads user, password, vhost and heartbeat from a URL before the settings', () => {
    const settings = { vhost: '/', user: 'guest', password: 'guest', heartbeatSeconds: 30 };
    const [plain, own] = endpointsFrom(['amqp://rabbit1', 'amqps://ops:s%40cret@rabbit2:5999/%2Ftroupe?heartbeat=10'], settings);
    expect(plain!.connect).toMatchObject({
      protocol: 'amqp',
      hostname: 'rabbit1',
      port: 5672,
      username: 'guest',
      vhost: '/',
      heartbeat: 30,
    });
    expect(own!.connect).toMatchObject({
      protocol: 'amqps',
      hostname: 'rabbit2',
      port: 5999,
      username: 'ops',
      password: 's@cret',
      vhost: '/troupe',
      heartbeat: 10,
    });
    expect(own!.label).not.toContain('cret');
  });

  it('names an unreadable TLS file in its error', () => {
    const settings = { vhost: '/', user: 'guest', password: 'guest', heartbeatSeconds: 30 };
    expect(() => endpointsFrom(['amqps://rabbit'], settings, { ca: '/nonexistent/ca.pem' })).toThrow(/TLS CA \/nonexistent\/ca.pem/);
  });
});

describe('AmqpConnector', () => {
  const open: Connector[] = [];
  const make = (opts: Partial<AmqpConnectorOptions> = {}) => {
    const c = new AmqpConnector({ servers: [vhost.url], maxReconnectWaitMs: 500, ...opts });
    open.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  it('fails over to the next broker URL when the first does not answer', async () => {
    const dead = `amqp://127.0.0.1:${await freePort()}`;
    const c = make({ servers: [dead, vhost.url], connectTimeoutMs: 2000 });
    const servers: string[] = [];
    c.onEvent((e) => e.type === 'connected' && servers.push(e.server));
    await c.connect();
    expect(servers).toEqual([`amqp://127.0.0.1:${new URL(vhost.url).port}/${vhost.name}`]);
  });

  it('gives a client a connect_failed error naming every broker it tried', async () => {
    const port = await freePort();
    const c = make({ servers: [`amqp://127.0.0.1:${port}`], connectTimeoutMs: 2000 });
    const err = await c.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('connect_failed');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('reports refused credentials instead of retrying them', async () => {
    const c = make({ servers: [vhost.url.replace('guest:guest', 'guest:wrong')] });
    const err = await c.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as TransportError).code).toBe('connect_failed');
    expect((err as Error).message).toMatch(/ACCESS_REFUSED|403/);
  });

  it('rejects URLs that are not AMQP, with the expected form', () => {
    expect(() => new AmqpConnector({ servers: ['nats://127.0.0.1:4222'] })).toThrow(/amqp:\/\/host:5672/);
  });

  it('fails a request in flight when the connection drops, rather than leaving it waiting', async () => {
    const client = make({ name: 'in-flight client' });
    await client.connect();
    const silent = make({ name: 'silent node', waitForBroker: true });
    await silent.connect();
    await silent.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, () => undefined);
    const inbox = await client.openInbox('c1', 'contract', '55555555555555555555555555555555', () => undefined);
    await client.publish(
      { kind: 'broadcast', collective: 'c1', agent: 'alpha' },
      requestFrame(inbox.address, 'never answered'),
      inbox.address,
    );
    await client.flush();
    const publishWhileDown: Array<Promise<unknown>> = [];
    client.onEvent((e) => {
      if (e.type === 'disconnected')
        publishWhileDown.push(
          client.publish({ kind: 'broadcast', collective: 'c1', agent: 'alpha' }, text('x')).then(
            () => 'sent',
            (err: unknown) => err,
          ),
        );
    });
    await dropConnections();
    await until(() => publishWhileDown.length === 1, 'the client to notice the drop');
    const whileDown = await publishWhileDown[0];
    expect(whileDown).toBeInstanceOf(TransportError);
    expect((whileDown as TransportError).code).toBe('closed');
    const closing = await inbox.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(closing).toBeInstanceOf(TransportError);
    expect((closing as TransportError).code).toBe('closed');
    expect((closing as Error).message).toMatch(/dropped while request 5{32} was waiting for replies/);
  });

  it('answers a reply addressed by inbox name, as a raw responder does', async () => {
    const client = make({ name: 'raw client' });
    const node = make({ name: 'raw node', waitForBroker: true });
    await client.connect();
    await node.connect();
    await node.subscribe({ kind: 'broadcast', collective: 'c1', agent: 'raw' }, (msg) => void node.reply(str(msg.data), text('pong')));
    const replies = new Collector();
    const inbox = await client.openInbox('c1', 'contract', '66666666666666666666666666666666', replies.handler);
    await client.publish({ kind: 'broadcast', collective: 'c1', agent: 'raw' }, text(inbox.address), inbox.address);
    await until(() => replies.messages.length === 1, 'the raw reply');
    expect(replies.texts()).toEqual(['pong']);
    await inbox.close();
  });

  it('declares exchanges and a limited, exclusive queue per node, gone with its connection', async () => {
    const node = make({ name: 'topology node', waitForBroker: true, queueLimits: { messageTtlMs: 30_000, maxLength: 50 } });
    await node.connect();
    await node.subscribe({ kind: 'broadcast', collective: 'topo', agent: 'alpha' }, () => undefined);
    await node.subscribe({ kind: 'node', collective: 'topo', identity: 'n1' }, () => undefined);
    await settle(node);
    const exchanges = await vhost.ctl(['list_exchanges', '-p', vhost.name, 'name', 'type', 'durable', '--no-table-headers', '--silent']);
    expect(exchanges).toMatch(/troupe\.topo\.broadcast\s+topic\s+true/);
    expect(exchanges).toMatch(/troupe\.topo\.node\s+direct\s+true/);
    const bindings = await vhost.ctl(['list_bindings', '-p', vhost.name, 'source_name', 'routing_key', '--no-table-headers', '--silent']);
    expect(bindings).toMatch(/troupe\.topo\.broadcast\s+alpha/);
    expect(bindings).toMatch(/troupe\.topo\.node\s+n1/);
    const queues = await vhost.ctl([
      'list_queues',
      '-p',
      vhost.name,
      'name',
      'exclusive',
      'auto_delete',
      'arguments',
      '--no-table-headers',
      '--silent',
    ]);
    const ours = queues.split('\n').filter((l) => l.includes('x-max-length'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/true\s+true/);
    expect(ours[0]).toContain('{"x-message-ttl",30000}');
    expect(ours[0]).toContain('{"x-max-length",50}');
    expect(ours[0]).toContain('{"x-overflow","drop-head"}');
    await node.close();
    let after = 'not listed yet';
    for (let i = 0; i < 20 && after !== ''; i++) {
      after = (await vhost.ctl(['list_queues', '-p', vhost.name, 'name', '--no-table-headers', '--silent'])).trim();
    }
    expect(after).toBe('');
  });
});
