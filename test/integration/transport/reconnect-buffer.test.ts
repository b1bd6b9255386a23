// Replies published while the broker connection is down: at most plugin.nats.reconnect_buffer bytes of them reach
// the broker once it is back, the rest are dropped and counted. The broker here is slow to take the reconnection
// (a proxy holds it, as a broker restarted under a large fleet is slow to accept), which is when nats.js alone
// queues everything and hands it over at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { NatsConnector } from '../../../src/transport/nats.js';
import type { ConnectorEvent } from '../../../src/transport/connector.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { HoldingProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

const REPLIES = 20;
const REPLY_BYTES = 2400;
const BUDGET = 8192;
let broker: LocalNatsServer;
let proxy: HoldingProxy;
let listener: NatsConnection;

beforeAll(async () => {
  broker = await startNatsServer();
  proxy = await new HoldingProxy({ host: '127.0.0.1', port: broker.port }).start();
  listener = await connect({ servers: `127.0.0.1:${broker.port}` });
});

afterAll(async () => {
  await listener?.close();
  await proxy?.stop();
  await broker?.stop();
});

describe('reconnect buffer', () => {
  it(`delivers at most ${BUDGET} bytes of what was published while disconnected, and counts the rest`, async () => {
    let received = 0;
    let receivedBytes = 0;
    listener.subscribe('mcollective.reply.>', { callback: (_err, msg) => (received++, (receivedBytes += msg.data.length)) });
    await listener.flush();

    const events: ConnectorEvent[] = [];
    const node = new NatsConnector({
      servers: [proxy.url],
      reconnectBufferBytes: BUDGET,
      connectTimeoutMs: 20_000,
      maxReconnectWaitMs: 100,
    });
    node.onEvent((e) => events.push(e));
    await node.connect();

    proxy.hold();
    proxy.dropAll();
    await waitFor('the connector to lose its link', () => events.some((e) => e.type === 'disconnected'), 10_000, 10);
    await proxy.heldConnection();
    const reply = new Uint8Array(REPLY_BYTES).fill(120);
    for (let i = 0; i < REPLIES; i++) await node.reply(`mcollective.reply.client.req${i}`, reply);
    proxy.release();
    await waitFor('the connector to reconnect', () => events.some((e) => e.type === 'reconnected'), 10_000, 10);
    await node.flush();
    await listener.flush();
    await new Promise((r) => setTimeout(r, 200));
    await node.close();

    const dropped = events.filter((e) => e.type === 'dropped').length;
    process.stdout.write(
      `while disconnected: ${REPLIES} replies of ${REPLY_BYTES} B; ${receivedBytes} B reached the broker, ${dropped} dropped\n`,
    );
    expect(receivedBytes).toBeLessThanOrEqual(BUDGET);
    expect(received).toBe(Math.floor(BUDGET / (REPLY_BYTES + 'mcollective.reply.client.reqNN'.length)));
    expect(dropped).toBe(REPLIES - received);
    const back = events.find((e) => e.type === 'reconnected');
    expect(back).toMatchObject({ dropped: { messages: dropped } });
  });
});
