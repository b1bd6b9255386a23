// RpcClient over an in-memory broker, answered by real NodeServers (the daemon's own code).
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../../src/client/rpc-client.js';
import { emptyFilter } from '../../../src/filter/index.js';
import {
  PROTOCOL,
  buildReplyFrame,
  decodeFrame,
  decodeRequest,
  encodeFrame,
  sha256Hex,
  type ReplyEnvelope,
  type SecureRequest,
} from '../../../src/protocol/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import { NodeServer } from '../../../src/server/node.js';
import { discoveryAgent } from '../../../src/plugins/agents/discovery/agent.js';
import { rpcutilAgent } from '../../../src/plugins/agents/rpcutil/agent.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';

const security = new InsecureProvider('user=test');
let servers: NodeServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop(100)));
  servers = [];
});

async function fleet(broker: MemoryBroker, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
  for (const identity of names) {
    const s = new NodeServer({
      identity,
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      version: 'test',
      connector: broker.connector(),
      security,
      agents: [discoveryAgent, rpcutilAgent],
      logger: pino({ level: 'silent' }),
      maxMessageSize: 65536,
      state: { facts: {}, classes: [] },
    });
    await s.start();
    servers.push(s);
  }
  return names;
}

function client(broker: MemoryBroker, threshold = 10) {
  return new RpcClient(broker.connector(), security, { sender: 'ops.ab12', ttl: 60, maxMessageSize: 65536, directAddressingThreshold: threshold });
}

const call = { agent: 'rpcutil', action: 'ping', data: {}, filter: emptyFilter(), collective: 'mcollective' };
const requestSubjects = (b: MemoryBroker) => b.published.filter((p) => !p.subject.includes('.reply.')).map((p) => p.subject);

describe('RpcClient', () => {
  it('broadcast without targets ends once replies stop for the quiet window, long before the timeout', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 20);
    const started = Date.now();
    const rs = await client(broker).call({ ...call, agent: 'discovery', timeoutMs: 5000, quietWindowMs: 100 });
    expect(rs.size).toBe(20);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(requestSubjects(broker)).toEqual(['mcollective.broadcast.agent.discovery']);
  });

  it('with a quiet window of 0 it waits for the whole timeout', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 3);
    const started = Date.now();
    await client(broker).call({ ...call, timeoutMs: 400, quietWindowMs: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('expectCount finishes as soon as that many answered', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 5);
    const started = Date.now();
    const rs = await client(broker).call({ ...call, timeoutMs: 5000, expectCount: 5 });
    expect(rs.size).toBe(5);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('targets at or under the direct addressing threshold get one message each', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 12);
    const rs = await client(broker, 3).call({ ...call, targets: names.slice(0, 3), timeoutMs: 2000 });
    expect(rs.size).toBe(3);
    expect(requestSubjects(broker)).toEqual(['mcollective.node.n01', 'mcollective.node.n02', 'mcollective.node.n03']);
  });

  it('above the threshold one broadcast goes out; the call ends once every target answered', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 12);
    const rs = await client(broker, 3).call({ ...call, targets: names.slice(0, 4), timeoutMs: 2000 });
    expect(requestSubjects(broker)).toEqual(['mcollective.broadcast.agent.rpcutil']);
    expect(rs.expectedAnswered()).toBe(4);
    expect(rs.noResponse()).toEqual([]);
  });

  it('direct: true addresses each target even above the threshold', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 6);
    await client(broker, 1).call({ ...call, targets: names, direct: true, timeoutMs: 2000 });
    expect(requestSubjects(broker)).toHaveLength(6);
  });

  it('a target that never answers costs the timeout and is listed as no response', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 2);
    const started = Date.now();
    const rs = await client(broker).call({ ...call, targets: ['n01', 'n02', 'ghost'], timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(rs.noResponse()).toEqual(['ghost']);
  });

  it('batches go out in sequence, one id for all, with the sleep between them', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 6);
    const rs = await client(broker, 100).call({ ...call, targets: names, timeoutMs: 2000, batch: { size: 2, sleepMs: 100 } });
    expect(rs.size).toBe(6);
    const sent = broker.published.filter((p) => p.subject.includes('.node.'));
    expect(sent.map((p) => p.subject.split('.').pop())).toEqual(names);
    const ids = new Set(sent.map((p) => decodeRequest((decodeFrame(p.data, 65536).data as SecureRequest).request).id));
    expect(ids.size).toBe(1);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(95);
    expect(sent[4]!.at - sent[3]!.at).toBeGreaterThanOrEqual(95);
    expect(sent[1]!.at - sent[0]!.at).toBeLessThan(50);
  });

  it('noReplies publishes and returns at once', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 3);
    const started = Date.now();
    const rs = await client(broker).call({ ...call, timeoutMs: 5000, noReplies: true });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(rs.size).toBe(0);
    expect(rs.requestId).toMatch(/^[a-f0-9]{32}$/);
  });

  it('duplicates, strangers, corrupt and misdirected replies are noticed and not counted as answers', async () => {
    const broker = new MemoryBroker();
    const frameFor = (id: string, sender: string, tamper = false) => {
      const env: ReplyEnvelope = { protocol: PROTOCOL.reply, request_id: id, sender, agent: 'rpcutil', action: 'ping', time: Date.now(), message: { statuscode: 0, statusmsg: 'OK', data: {} } };
      const text = JSON.stringify(env);
      return encodeFrame(buildReplyFrame({ protocol: PROTOCOL.secureReply, reply: text, hash: sha256Hex(tamper ? text + ' ' : text) }, sender));
    };
    // A fake node that answers every request badly in every way it can.
    broker.listen('mcollective.node.a', (m) => {
      const frame = decodeFrame(m.data, 65536);
      const id = decodeRequest((frame.data as SecureRequest).request).id;
      const to = frame.reply_to!;
      broker.deliver(to, frameFor(id, 'a'));
      broker.deliver(to, frameFor(id, 'a'));
      broker.deliver(to, frameFor(id, 'stranger'));
      broker.deliver(to, frameFor(id, 'b', true));
      broker.deliver(to, frameFor('0'.repeat(32), 'b'));
      broker.deliver(to, new TextEncoder().encode('not json'));
    });
    const rs = await client(broker).call({ ...call, targets: ['a', 'b'], timeoutMs: 300 });
    expect(rs.all().map((r) => r.sender).sort()).toEqual(['a', 'stranger']);
    expect(rs.duplicates).toBe(1);
    expect(rs.unexpected()).toEqual(['stranger']);
    expect(rs.noResponse()).toEqual(['b']);
    expect(rs.invalidReplies).toBe(3);
  });
});
