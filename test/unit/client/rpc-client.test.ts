// RpcClient over an in-memory broker, answered by real NodeServers (the daemon's own code).
import { afterEach, describe, expect, it, vi } from 'vitest';
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
import { rpcutilAgent } from '../../../src/plugins/agents/rpcutil/agent.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';
import { nodeNames, startMemoryNode } from '../../helpers/memory-node.js';
import { advance, idle, settle, tracked, useFakeClock } from '../../helpers/fake-clock.js';

const security = new InsecureProvider('user=test');
let servers: NodeServer[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.map((s) => s.stop(100)));
  servers = [];
});

async function fleet(broker: MemoryBroker, count: number): Promise<string[]> {
  const names = nodeNames(count);
  for (const identity of names) servers.push(await startMemoryNode(broker, { identity, security, agents: [rpcutilAgent] }));
  return names;
}

function client(broker: MemoryBroker, threshold = 10) {
  return new RpcClient(broker.connector(), security, {
    sender: 'ops.ab12',
    ttl: 60,
    maxMessageSize: 65536,
    directAddressingThreshold: threshold,
  });
}

const call = { agent: 'rpcutil', action: 'ping', data: {}, filter: emptyFilter(), collective: 'mcollective' };
const requestSubjects = (b: MemoryBroker) => b.published.filter((p) => !p.subject.includes('.reply.')).map((p) => p.subject);

describe('RpcClient', () => {
  // The timing tests run on a fake clock: replies arrive with no simulated time passing, and the test moves the clock.
  it('broadcast without targets ends once replies stop for the quiet window, long before the timeout', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 20);
    useFakeClock();
    let answered = 0;
    const onReply = () => answered++;
    const call$ = tracked(client(broker).call({ ...call, agent: 'discovery', timeoutMs: 5000, quietWindowMs: 100, onReply }));
    await settle('20 replies', () => answered === 20);
    await advance(99);
    expect(call$.settled).toBe(false);
    await advance(1);
    await settle('the call to end after the quiet window', () => call$.settled);
    expect((await call$.promise).size).toBe(20);
    expect(requestSubjects(broker)).toEqual(['mcollective.broadcast.agent.discovery']);
  });

  it('with a quiet window of 0 it waits for the whole timeout', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 3);
    useFakeClock();
    let answered = 0;
    const call$ = tracked(client(broker).call({ ...call, timeoutMs: 400, quietWindowMs: 0, onReply: () => answered++ }));
    await settle('3 replies', () => answered === 3);
    await advance(399);
    expect(call$.settled).toBe(false);
    await advance(1);
    await settle('the call to end at its timeout', () => call$.settled);
    expect((await call$.promise).size).toBe(3);
  });

  it('expectCount finishes as soon as that many answered', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 5);
    useFakeClock();
    const call$ = tracked(client(broker).call({ ...call, timeoutMs: 5000, expectCount: 5 }));
    await settle('the call to end with the clock stopped', () => call$.settled);
    expect((await call$.promise).size).toBe(5);
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
    useFakeClock();
    let answered = 0;
    const call$ = tracked(client(broker).call({ ...call, targets: ['n01', 'n02', 'ghost'], timeoutMs: 300, onReply: () => answered++ }));
    await settle('2 replies', () => answered === 2);
    await advance(299);
    expect(call$.settled).toBe(false);
    await advance(1);
    await settle('the call to end at its timeout', () => call$.settled);
    expect((await call$.promise).noResponse()).toEqual(['ghost']);
  });

  it('batches go out in sequence, one id for all, with the sleep between them', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 6);
    useFakeClock();
    let answered = 0;
    const sentSoFar = () => broker.published.filter((p) => p.subject.includes('.node.'));
    const batch = { size: 2, sleepMs: 100 };
    const call$ = tracked(client(broker, 100).call({ ...call, targets: names, timeoutMs: 2000, batch, onReply: () => answered++ }));
    for (const batch of [2, 4]) {
      await settle(`the first ${batch} replies`, () => answered === batch);
      await advance(99);
      expect(sentSoFar()).toHaveLength(batch);
      await advance(1);
      await settle(`batch ${batch / 2 + 1} to go out 100 ms later`, () => sentSoFar().length === batch + 2);
    }
    await settle('the call to end', () => call$.settled);
    expect((await call$.promise).size).toBe(6);
    const sent = sentSoFar();
    expect(sent.map((p) => p.subject.split('.').pop())).toEqual(names);
    const ids = new Set(sent.map((p) => decodeRequest((decodeFrame(p.data, 65536).data as SecureRequest).request).id));
    expect(ids.size).toBe(1);
    const t0 = sent[0]!.at;
    expect(sent.map((p) => p.at - t0)).toEqual([0, 0, 100, 100, 200, 200]);
  });

  it('noReplies publishes and returns at once', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 3);
    useFakeClock();
    const call$ = tracked(client(broker).call({ ...call, timeoutMs: 5000, noReplies: true }));
    await settle('the call to return with the clock stopped', () => call$.settled);
    const rs = await call$.promise;
    await idle();
    expect(rs.size).toBe(0);
    expect(rs.requestId).toMatch(/^[a-f0-9]{32}$/);
  });

  it('duplicates, strangers, corrupt and misdirected replies are noticed and not counted as answers', async () => {
    const broker = new MemoryBroker();
    const frameFor = (id: string, sender: string, tamper = false) => {
      const env: ReplyEnvelope = {
        protocol: PROTOCOL.reply,
        request_id: id,
        sender,
        agent: 'rpcutil',
        action: 'ping',
        time: Date.now(),
        message: { statuscode: 0, statusmsg: 'OK', data: {} },
      };
      const text = JSON.stringify(env);
      return encodeFrame(
        buildReplyFrame({ protocol: PROTOCOL.secureReply, reply: text, hash: sha256Hex(tamper ? text + ' ' : text) }, sender),
      );
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
    expect(
      rs
        .all()
        .map((r) => r.sender)
        .sort(),
    ).toEqual(['a', 'stranger']);
    expect(rs.duplicates).toBe(1);
    expect(rs.unexpected()).toEqual(['stranger']);
    expect(rs.noResponse()).toEqual(['b']);
    expect(rs.invalidReplies).toBe(3);
  });
});
