import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { advance, idle, settle, tracked, useFakeClock } from '../../helpers/fake-clock.js';
import { InsecureProvider } from '../../../src/security/index.js';
import { NodeServer } from '../../../src/server/node.js';
import { discoveryAgent } from '../../../src/plugins/agents/discovery/agent.js';
import type { AgentPlugin } from '../../../src/server/agent.js';
import { nodeSubject } from '../../../src/protocol/index.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';
import { agentDDL, filterWith, frameOf, replyOf, requestEnvelope } from './fixtures.js';

let aborted = false;
const sleeper: AgentPlugin = {
  ddl: agentDDL(
    'sleeper',
    {
      nap: {
        description: 'Sleep for ms milliseconds',
        display: 'always',
        input: { ms: { prompt: 'ms', description: 'How long', type: 'integer' } },
        output: {},
      },
    },
    30,
  ),
  invoke: (req, ctx) =>
    new Promise((resolve) => {
      const t = setTimeout(() => resolve({ slept: req.data.ms }), Number(req.data.ms));
      ctx.signal.addEventListener('abort', () => {
        aborted = true;
        clearTimeout(t);
        resolve({ slept: 'interrupted' });
      });
    }),
};

function node(broker: MemoryBroker, facts: Record<string, unknown> = { role: 'web' }) {
  const connector = broker.connector();
  const server = new NodeServer({
    identity: 'n1.example.net',
    collectives: ['mcollective', 'dev'],
    mainCollective: 'mcollective',
    version: 'test',
    connector,
    security: new InsecureProvider('user=test'),
    agents: [discoveryAgent, sleeper],
    logger: pino({ level: 'silent' }),
    maxMessageSize: 65536,
    state: { facts, classes: [] },
  });
  return { server, connector };
}

/** Publishes a request to the node and collects what comes back on its reply subject. */
function ask(broker: MemoryBroker, data: Record<string, unknown>, over = {}) {
  const req = requestEnvelope('sleeper', 'nap', data, over);
  const replyTo = `mcollective.reply.c.${req.id}`;
  const replies: Uint8Array[] = [];
  broker.listen(replyTo, (m) => replies.push(m.data));
  broker.deliver(nodeSubject('mcollective', 'n1.example.net'), frameOf(req, replyTo));
  return replies;
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

afterEach(() => {
  vi.useRealTimers();
});

describe('NodeServer', () => {
  it('subscribes per collective to discovery, each agent, and its own node subject', async () => {
    const broker = new MemoryBroker();
    const { server, connector } = node(broker);
    await server.start();
    expect(connector.subjects.sort()).toEqual(
      [
        'dev.broadcast.agent.discovery',
        'dev.broadcast.agent.sleeper',
        'dev.node.n1.example.net',
        'mcollective.broadcast.agent.discovery',
        'mcollective.broadcast.agent.sleeper',
        'mcollective.node.n1.example.net',
      ].sort(),
    );
    await server.stop();
  });

  it('answers on the reply subject of the request', async () => {
    const broker = new MemoryBroker();
    const { server } = node(broker);
    await server.start();
    const replies = ask(broker, { ms: 1 });
    await until(() => replies.length > 0);
    expect(replyOf({ frame: replies[0] }).message).toMatchObject({ statuscode: 0, data: { slept: 1 } });
    await server.stop();
  });

  it('stop() stops taking requests, lets a running action finish and reply, then closes the connection', async () => {
    const broker = new MemoryBroker();
    const { server, connector } = node(broker);
    await server.start();
    const replies = ask(broker, { ms: 300 });
    await until(() => server.stats().passed === 1);
    const stopping = server.stop(5000);
    await until(() => broker.subscribers('mcollective.node.n1.example.net') === 0, 200);
    expect(broker.subscribers('mcollective.node.n1.example.net')).toBe(0);
    expect(connector.closed).toBe(false);
    await stopping;
    // The reply went out before the connection closed (a closed MemoryConnector refuses replies).
    await until(() => replies.length > 0);
    expect(replies).toHaveLength(1);
    expect(replyOf({ frame: replies[0] }).message.data).toEqual({ slept: 300 });
    expect(connector.closed).toBe(true);
  });

  it('stop(drainMs) aborts an action that outlives the drain window', async () => {
    const broker = new MemoryBroker();
    const { server } = node(broker);
    await server.start();
    aborted = false;
    useFakeClock();
    ask(broker, { ms: 10_000 });
    await settle('the action to start', () => server.stats().passed === 1);
    const stopping = tracked(server.stop(200));
    await idle();
    await advance(199);
    expect(stopping.settled).toBe(false);
    expect(aborted).toBe(false);
    await advance(1);
    await settle('stop() to end at the drain window', () => stopping.settled);
    expect(aborted).toBe(true);
  });

  it('updateState: new facts decide the next filter match', async () => {
    const broker = new MemoryBroker();
    const { server } = node(broker, { role: 'web' });
    await server.start();
    const filter = filterWith({ fact: [{ fact: 'role', operator: '==', value: 'db' }] });
    ask(broker, { ms: 1 }, { filter });
    await until(() => server.stats().filtered === 1);
    server.updateState({ facts: { role: 'db' }, classes: [] });
    const replies = ask(broker, { ms: 1 }, { filter });
    await until(() => replies.length > 0);
    expect(replies).toHaveLength(1);
    expect(server.facts()).toEqual({ role: 'db' });
    await server.stop();
  });
});

describe('agent background work and reloads', () => {
  it("starts each agent's service with the node's settings, stops it with the node, and survives one that fails to start", async () => {
    const broker = new MemoryBroker();
    const calls: string[] = [];
    const worker: AgentPlugin = {
      ...sleeper,
      ddl: { ...sleeper.ddl, metadata: { ...sleeper.ddl.metadata, name: 'worker' } },
      start: (ctx) => {
        calls.push(`start ${ctx.node.identity} ${ctx.settings.interval}`);
        return { stop: () => Promise.resolve(void calls.push('stop')) };
      },
      reload: () => void calls.push('reload'),
    };
    const broken: AgentPlugin = {
      ...sleeper,
      start: () => {
        throw new Error('cannot');
      },
    };
    const server = new NodeServer({
      identity: 'n1.example.net',
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      version: 'test',
      connector: broker.connector(),
      security: new InsecureProvider('user=test'),
      agents: [discoveryAgent, broken, worker],
      logger: pino({ level: 'silent' }),
      maxMessageSize: 65536,
      state: { facts: {}, classes: [] },
      settingsFor: (agent): Record<string, string> => (agent === 'worker' ? { interval: '30' } : {}),
    });
    await server.start();
    expect(calls).toEqual(['start n1.example.net 30']);
    server.reloadAgents();
    await server.stop();
    expect(calls).toEqual(['start n1.example.net 30', 'reload', 'stop']);
  });
});
