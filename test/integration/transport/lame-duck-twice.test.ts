// Two brokers put in lame-duck mode one right after the other: the second tells the daemon it is going while the
// daemon is still moving onto it (both connections open). The daemon moves again once that move is done, before the
// second broker evicts it, rather than ignoring the notice and being thrown out.
import { connect } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, LocalNatsServer } from '../../../src/devkit/nats-server.js';
import type { ConnectorEvent } from '../../../src/transport/connector.js';
import type { NatsConnector } from '../../../src/transport/nats.js';
import { ECHO_SUBJECT, startEchoNode } from '../../helpers/echo-node.js';
import { waitFor } from '../../helpers/wait.js';

let servers: LocalNatsServer[] = [];
let node: NatsConnector;
const events: ConnectorEvent[] = [];
const moves = () => events.flatMap((e) => (e.type === 'moved' ? [e.to] : []));

beforeAll(async () => {
  const cluster = [await freePort(), await freePort(), await freePort()];
  servers = cluster.map(
    (port) =>
      new LocalNatsServer({
        config: 'lame_duck_grace_period: 3s\nlame_duck_duration: 30s',
        cluster: { name: 't', port, routes: cluster.filter((p) => p !== port) },
      }),
  );
  for (const s of servers) await s.start();
  node = await startEchoNode({ servers: [servers[0]!.url], name: 'moving node', lameDuckSpreadMs: 0, lameDuckOverlapMs: 1500 }, events);
}, 60_000);

afterAll(async () => {
  await node?.close(500);
  for (const s of servers) await s.stop();
});

it('a lame-duck notice that comes while moving is acted on once the move is done', async () => {
  // The cluster is whole (the node answers from the far end) before the first broker goes.
  await expect.poll(() => ask(servers[2]!), { timeout: 20_000, interval: 200 }).toBe('hi');
  const goneFirst = servers[0]!.lameDuck();
  await waitFor('the first move', () => moves().length === 1, 15_000, 20);
  const second = servers.find((s) => moves()[0] === `127.0.0.1:${s.port}`);
  expect(second).toBeDefined();
  const goneSecond = second!.lameDuck();
  await waitFor('the second move', () => moves().length === 2, 15_000, 20);
  await Promise.all([goneFirst, goneSecond]);
  const last = servers.find((s) => s !== servers[0] && s !== second)!;
  expect(moves()[1]).toBe(`127.0.0.1:${last.port}`);
  expect(events.map((e) => e.type)).not.toContain('disconnected');
  expect(await ask(last)).toBe('hi');
}, 60_000);

/** The node's echo of "hi" through `server`, or the error's message. */
async function ask(server: LocalNatsServer): Promise<string> {
  const requester = await connect({ servers: server.url });
  try {
    const reply = await requester.request(ECHO_SUBJECT, new TextEncoder().encode('hi'), { timeout: 2000 });
    return new TextDecoder().decode(reply.data);
  } catch (err) {
    return (err as Error).message;
  } finally {
    await requester.close();
  }
}
