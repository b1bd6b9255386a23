// A daemon that a lame-duck broker evicts while it is still dialling the broker it moves to (a slow broker, a loaded
// machine): once the move completes, the link is up again, and what it publishes (its replies) must go out, not wait
// in the reconnect buffer for a reconnection of the connection it has left.
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, LocalNatsServer } from '../../../src/devkit/nats-server.js';
import type { ConnectorEvent } from '../../../src/transport/connector.js';
import type { NatsConnector } from '../../../src/transport/nats.js';
import { ECHO_SUBJECT, startEchoNode } from '../../helpers/echo-node.js';
import { HoldingProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

let a: LocalNatsServer;
let b: LocalNatsServer;
let toB: HoldingProxy;
let requester: NatsConnection;
let node: NatsConnector;
const events: ConnectorEvent[] = [];

beforeAll(async () => {
  // The proxy listens first, so that the free ports picked next cannot be its own.
  const bClients = { host: '127.0.0.1', port: 0 };
  toB = await new HoldingProxy(bClients).start();
  const [ca, cb, pb] = [await freePort(), await freePort(), await freePort()];
  bClients.port = pb;
  const route = (p: number) => `"nats-route://127.0.0.1:${p}"`;
  a = new LocalNatsServer({
    config: `server_name: A\nlame_duck_grace_period: 1s\nlame_duck_duration: 30s\ncluster { name: t, listen: 127.0.0.1:${ca}, routes: [${route(cb)}] }`,
  });
  // Clients learn B only by the proxy's address, where the daemon's move can be held.
  b = new LocalNatsServer({
    port: pb,
    config: `server_name: B\nclient_advertise: "127.0.0.1:${toB.port}"\ncluster { name: t, listen: 127.0.0.1:${cb}, routes: [${route(ca)}] }`,
  });
  await a.start();
  await b.start();
  requester = await connect({ servers: b.url });
  node = await startEchoNode({ servers: [a.url], name: 'moving node', lameDuckSpreadMs: 0, maxReconnectWaitMs: 500 }, events);
}, 60_000);

afterAll(async () => {
  toB?.release();
  await node?.close(500);
  await requester?.close();
  for (const s of [a, b]) await s?.stop();
  await toB?.stop();
});

const ask = () =>
  requester
    .request(ECHO_SUBJECT, new TextEncoder().encode('hi'), { timeout: 2000 })
    .then(() => true)
    .catch(() => false);

it('answers again once the move completes, the replies it publishes sent rather than held', async () => {
  await expect.poll(ask, { timeout: 20_000, interval: 200 }).toBe(true);
  toB.holdOne();
  const gone = a.lameDuck();
  await waitFor('the lame-duck broker to evict the daemon mid-move', () => events.some((e) => e.type === 'disconnected'), 15_000, 20);
  toB.release();
  await waitFor('the move to complete', () => events.some((e) => e.type === 'moved'), 15_000, 20);
  await gone;
  const answered = [await ask(), await ask(), await ask()];
  expect(answered).toEqual([true, true, true]);
  // The link is reported back up, as after any disconnection.
  const lost = events.findIndex((e) => e.type === 'disconnected');
  expect(events.slice(lost).map((e) => e.type)).toContain('reconnected');
}, 60_000);
