// A daemon moving off a lame-duck broker answers each request by the broker that delivered it. Here every route of
// the broker it moves to is slow: a requester's fresh reply subscription reaches that broker late, so a reply sent
// through it in the overlap, for a request the old broker delivered, would find no interest there and vanish.
import { connect, createInbox, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, LocalNatsServer } from '../../../src/devkit/nats-server.js';
import type { NatsConnector } from '../../../src/transport/nats.js';
import { ECHO_SUBJECT, startEchoNode } from '../../helpers/echo-node.js';
import { SlowLink } from '../../helpers/tcp-proxy.js';

const ROUTE_DELAY_MS = 400;
let a: LocalNatsServer;
let b: LocalNatsServer;
let c: LocalNatsServer;
const links: SlowLink[] = [];
let requester: NatsConnection;
let node: NatsConnector;

/** A slow link listening now, to a port given later: the free ports picked after it cannot be its own. */
const slowLink = async () => {
  const target = { host: '127.0.0.1', port: 0 };
  const link = await new SlowLink(target, ROUTE_DELAY_MS).start();
  links.push(link);
  return { port: link.port, to: (port: number) => ((target.port = port), port) };
};

beforeAll(async () => {
  const [la, lb, lc] = [await slowLink(), await slowLink(), await slowLink()];
  const [ca, cb, cc] = [la.to(await freePort()), lb.to(await freePort()), lc.to(await freePort())];
  const [toA, toB, toC] = [la.port, lb.port, lc.port];
  const route = (p: number) => `"nats-route://127.0.0.1:${p}"`;
  const lameDuck = 'lame_duck_grace_period: 4s\nlame_duck_duration: 30s';
  // A and B route to each other directly and to C through its slow link, which C advertises; C dials out through
  // slow links too. C starts last, so the others learn it from its own routes. B keeps its client URL to itself:
  // the only broker the daemon can move to is C.
  a = new LocalNatsServer({
    config: `server_name: A\n${lameDuck}\ncluster { name: t, listen: 127.0.0.1:${ca}, routes: [${route(cb)}, ${route(toC)}] }`,
  });
  b = new LocalNatsServer({
    config: `server_name: B\ncluster { name: t, listen: 127.0.0.1:${cb}, no_advertise: true, routes: [${route(ca)}, ${route(toC)}] }`,
  });
  c = new LocalNatsServer({
    config: `server_name: C\ncluster { name: t, listen: 127.0.0.1:${cc}, advertise: "127.0.0.1:${toC}", routes: [${route(toA)}, ${route(toB)}] }`,
  });
  await a.start();
  await b.start();
  await c.start();
  requester = await connect({ servers: b.url });
  node = await startEchoNode({ servers: [a.url], name: 'moving node', lameDuckSpreadMs: 0, lameDuckOverlapMs: 1500 });
}, 60_000);

afterAll(async () => {
  await node?.close(500);
  await requester?.close();
  for (const s of [a, b, c]) await s?.stop();
  for (const l of links) await l.stop();
});

/** A request with a reply subscription of its own, made just before it is sent, as mco's are. */
const ask = (n: number) =>
  requester
    .request(ECHO_SUBJECT, new TextEncoder().encode(String(n)), { timeout: 4000, noMux: true, reply: createInbox() })
    .then(() => true)
    .catch(() => false);

it('replies leave by the broker that delivered the request while the daemon moves, and none is lost', async () => {
  // The setup holds: an interest made on B reaches C late (and A at once, which the daemon answers through now).
  await expect.poll(() => ask(0), { timeout: 20_000, interval: 200 }).toBe(true);
  const probe = createInbox();
  const early: string[] = [];
  const sub = requester.subscribe(probe, { callback: (_, m) => early.push(m.subject) });
  await requester.flush();
  const atC = await connect({ servers: c.url });
  atC.publish(probe);
  await atC.flush();
  await new Promise((r) => setTimeout(r, ROUTE_DELAY_MS * 3));
  await atC.close();
  sub.unsubscribe();
  expect(early).toEqual([]);

  const moved = new Promise<string>((resolve) => node.onEvent((e) => e.type === 'moved' && resolve(e.to)));
  const asked: Array<Promise<boolean>> = [];
  let n = 1;
  const timer = setInterval(() => asked.push(ask(n++)), 50);
  const gone = a.lameDuck();
  try {
    expect(await moved).toBe(`127.0.0.1:${c.port}`);
    await gone;
  } finally {
    clearInterval(timer);
  }
  const answered = await Promise.all(asked);
  expect(asked.length).toBeGreaterThan(40);
  expect(answered.filter((ok) => !ok).length).toBe(0);
}, 60_000);
