// Graceful stop over a real nats-server: a request in flight when the node stops still gets its reply.
// rpcutil has no slow action, so the node here hosts a test-only agent that sleeps.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../../src/client/rpc-client.js';
import { parseDDL } from '../../../src/ddl/index.js';
import { emptyFilter } from '../../../src/filter/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import type { AgentPlugin } from '../../../src/server/agent.js';
import { discoveryAgent } from '../../../src/plugins/agents/discovery/agent.js';
import { NodeServer } from '../../../src/server/node.js';
import { NatsConnector } from '../../../src/transport/nats.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

const sleeper: AgentPlugin = {
  ddl: parseDDL(
    {
      metadata: {
        name: 'sleeper',
        description: 'sleeps',
        author: 'troupe',
        license: 'Apache-2.0',
        version: '1.0.0',
        url: 'https://example.org',
        timeout: 10,
      },
      actions: {
        nap: { description: 'Sleep', display: 'always', input: { ms: { prompt: 'ms', description: 'ms', type: 'integer' } }, output: {} },
      },
    },
    'sleeper (test)',
  ),
  invoke: (req, ctx) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ slept: req.data.ms }), Number(req.data.ms));
      ctx.signal.addEventListener('abort', () => {
        cutOff++;
        clearTimeout(timer);
        resolve({ slept: 'cut off' });
      });
    }),
};
let cutOff = 0;

let broker: LocalNatsServer;
/** Subscriptions each node holds, to see when stop() has left the broker. */
const liveSubscriptions = new Map<string, number>();
const security = new InsecureProvider('user=test');

beforeAll(async () => {
  broker = await startNatsServer();
});

afterAll(async () => {
  await broker?.stop();
});

async function startNode(identity: string) {
  const connector = new NatsConnector({ servers: [broker.url], name: identity });
  await connector.connect();
  const count = (delta: number) => liveSubscriptions.set(identity, (liveSubscriptions.get(identity) ?? 0) + delta);
  const subscribe = connector.subscribe.bind(connector);
  connector.subscribe = async (dest, handler) => {
    const sub = await subscribe(dest, handler);
    count(1);
    return {
      unsubscribe: async () => {
        await sub.unsubscribe();
        count(-1);
      },
    };
  };
  const node = new NodeServer({
    identity,
    collectives: ['mcollective'],
    mainCollective: 'mcollective',
    version: 'test',
    connector,
    security,
    agents: [discoveryAgent, sleeper],
    logger: pino({ level: 'silent' }),
    maxMessageSize: 1 << 20,
    state: { facts: {}, classes: [] },
  });
  await node.start();
  return node;
}

async function startClient() {
  const connector = new NatsConnector({ servers: [broker.url], name: 'client' });
  await connector.connect();
  return {
    connector,
    client: new RpcClient(connector, security, { sender: 'test.0001', ttl: 60, maxMessageSize: 1 << 20, directAddressingThreshold: 10 }),
  };
}

const nap = (ms: number, targets: string[], timeoutMs = 5000) => ({
  agent: 'sleeper',
  action: 'nap',
  data: { ms },
  filter: emptyFilter(),
  collective: 'mcollective',
  targets,
  timeoutMs,
});

describe('NodeServer.stop() over NATS', () => {
  it('drains: the in-flight request is answered, later ones are not taken', async () => {
    const node = await startNode('drainer');
    const { client, connector } = await startClient();
    try {
      const inflight = client.call(nap(600, ['drainer']));
      await waitFor('the request to start', () => node.stats().passed === 1, 5000, 10);
      const stopped = node.stop(5000);
      await waitFor('the node to unsubscribe', () => liveSubscriptions.get('drainer') === 0, 5000, 5);
      const late = await client.call(nap(1, ['drainer'], 500));
      const rs = await inflight;
      await stopped;
      expect(rs.all().map((r) => [r.sender, r.statuscode, r.data.slept])).toEqual([['drainer', 0, 600]]);
      expect(late.size).toBe(0);
    } finally {
      await connector.close();
    }
  });

  it('an action longer than the drain window is cut off and the node still stops', async () => {
    const node = await startNode('impatient');
    const { client, connector } = await startClient();
    try {
      const inflight = client.call(nap(5000, ['impatient'], 1500));
      await waitFor('the request to start', () => node.stats().passed === 1, 5000, 10);
      const started = Date.now();
      await node.stop(300);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(cutOff).toBe(1);
      await inflight;
    } finally {
      await connector.close();
    }
  });
});
