// The client library (connect, discover, rpc, abort, progress, typed agents) over an in-memory broker, answered by
// real NodeServers.
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, connect, filter, parseFilter, RequestError, FilterError, type RpcProgress, type Troupe } from '../../../src/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import { NodeServer } from '../../../src/server/node.js';
import { rpcutilAgent } from '../../../src/plugins/agents/rpcutil/agent.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';
import { nodeNames, startMemoryNode } from '../../helpers/memory-node.js';

const security = new InsecureProvider('user=test');
let servers: NodeServer[] = [];
let clients: Troupe[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop(100)));
  servers = [];
  clients = [];
});

/** n01…nNN; odd ones are web servers, even ones databases. */
async function fleet(broker: MemoryBroker, count: number): Promise<string[]> {
  const names = nodeNames(count);
  for (const [i, identity] of names.entries()) {
    const web = i % 2 === 0;
    servers.push(
      await startMemoryNode(broker, {
        identity,
        security,
        agents: [rpcutilAgent],
        facts: { role: web ? 'web' : 'db' },
        classes: web ? ['nginx'] : [],
      }),
    );
  }
  return names;
}

async function client(broker: MemoryBroker): Promise<Troupe> {
  const t = await connect({
    config: null,
    settings: { discovery_timeout: 2, discovery_quiet_window: 0.05 },
    connector: broker.connector(),
    security,
  });
  clients.push(t);
  return t;
}

/** Where requests (not replies) were published: the discovery broadcast, agent broadcasts, node subjects. */
const requestsSent = (broker: MemoryBroker): string[] => broker.published.map((p) => p.subject).filter((s) => !s.includes('.reply.'));
const DISCOVERY = 'mcollective.broadcast.agent.discovery';

describe('connect and discover', () => {
  it('discovers every node, or those the filter selects, by broadcast', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 5);
    const t = await client(broker);
    expect((await t.discover()).nodes).toEqual(names);
    const web = await t.discover({ filter: { fact: 'role=web' } });
    expect(web).toMatchObject({ nodes: ['n01', 'n03', 'n05'], method: 'mc' });
    expect((await t.discover({ filter: { class: /^NGI/i, identity: ['n01', /n0[45]/] } })).nodes).toEqual(['n01', 'n05']);
  });

  it('addresses plain identities without a discovery round, and narrows with limit', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 5);
    const t = await client(broker);
    const before = broker.published.length;
    expect(await t.discover({ filter: { identity: ['n02', 'n04'] } })).toMatchObject({ nodes: ['n02', 'n04'], method: 'identity' });
    expect(broker.published.length).toBe(before);
    expect((await t.discover({ limit: 2 })).nodes).toEqual(['n01', 'n02']);
    expect((await t.discover({ limit: '40%', limitSeed: 7 })).nodes).toHaveLength(2);
  });

  it('refuses a collective the config does not name, and a bad limit, with a code', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 1);
    const t = await client(broker);
    await expect(t.discover({ collective: 'elsewhere' })).rejects.toMatchObject({ name: 'RequestError', code: 'invalid_option' });
    await expect(t.discover({ limit: 0 })).rejects.toMatchObject({ code: 'invalid_option' });
  });
});

describe('rpc', () => {
  it('yields each reply once as it arrives, then the result set with stats and the DDL summaries', async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 5);
    const t = await client(broker);
    const call = t.rpc('rpcutil', 'get_fact', { fact: 'role' });
    const seen: string[] = [];
    for await (const reply of call) seen.push(reply.sender);
    expect(seen.sort()).toEqual(names);
    const result = await call.result();
    expect(result.replies.map((r) => r.sender)).toEqual(names);
    expect(result.stats).toMatchObject({ discovered: 5, responses: 5, ok: 5, failed: 0, noResponse: [], unexpected: [] });
    expect(result.stats.requestId).toBe(result.requestId);
    expect(result.exitCode).toBe(0);
    expect(result.summaries).toEqual([
      expect.objectContaining({
        function: 'summary',
        field: 'value',
        value: [
          ['web', 3],
          ['db', 2],
        ],
      }),
    ]);
  });

  it('lists the discovered nodes that never answered, and exits as mco would', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 2);
    const t = await client(broker);
    const result = await t.rpc('rpcutil', 'ping', {}, { filter: { identity: ['n01', 'ghost'] }, timeoutMs: 300 }).result();
    expect(result.replies.map((r) => r.sender)).toEqual(['n01']);
    expect(result.noResponse).toEqual(['ghost']);
    expect(result.exitCode).toBe(2);
  });

  it('sends nothing when nothing is discovered', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 2);
    const t = await client(broker);
    const result = await t.rpc('rpcutil', 'ping', {}, { filter: { fact: 'role=cache' }, discoveryTimeoutMs: 200 }).result();
    expect(result).toMatchObject({ replies: [], exitCode: 1, stats: { discovered: 0 } });
    expect(result.requestId).toBeUndefined();
    expect(requestsSent(broker)).toEqual([DISCOVERY]);
  });

  it('checks inputs against the DDL before sending, as mco rpc does', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 1);
    const t = await client(broker);
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RequestError);
      return (err as RequestError).code;
    };
    expect(await refused(t.rpc('rpcutil', 'get_fact', {}).result())).toBe('missing_inputs');
    expect(await refused(t.rpc('rpcutil', 'get_fact', { fact: 7 }).result())).toBe('invalid_inputs');
    expect(await refused(t.rpc('rpcutil', 'ping', { extra: 1 }).result())).toBe('invalid_inputs');
    expect(await refused(t.rpc('rpcutil', 'pong').result())).toBe('unknown_action');
    expect(await refused(t.rpc('frobnicator', 'go').result())).toBe('unknown_agent');
    // The iteration throws the same error.
    await expect(
      (async () => {
        for await (const _ of t.rpc('rpcutil', 'get_fact', {}));
      })(),
    ).rejects.toMatchObject({ code: 'missing_inputs' });
    expect(requestsSent(broker)).toEqual([]);
  });

  it('reports progress: the discovered count first, then every reply', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 3);
    const t = await client(broker);
    const progress: RpcProgress[] = [];
    await t.rpc('rpcutil', 'ping', {}, { onProgress: (p) => progress.push(p) }).result();
    expect(progress[0]).toEqual({ stage: 'discovered', discovered: 3, received: 0, ok: 0, failed: 0 });
    expect(progress.slice(1).map((p) => [p.stage, p.received, p.ok])).toEqual([
      ['reply', 1, 1],
      ['reply', 2, 2],
      ['reply', 3, 3],
    ]);
  });

  it("broadcasts to nodes given as the filter's whole match above the direct addressing threshold, and addresses other given nodes one by one", async () => {
    const broker = new MemoryBroker();
    const names = await fleet(broker, 12);
    const t = await client(broker);
    // The caller's index matched every node, one of which is gone: one broadcast, and the gone one is silent.
    const everyone = [...names, 'ghost'];
    const all = await t.rpc('rpcutil', 'ping', {}, { nodes: everyone, nodesMatchFilter: true, timeoutMs: 300 }).result();
    expect(all.replies.length).toBe(12);
    expect(all.noResponse).toEqual(['ghost']);
    expect(requestsSent(broker)).toEqual(['mcollective.broadcast.agent.rpcutil']);
    // A hand-picked subset (or a limit, which picks one) must reach only those nodes.
    broker.published.length = 0;
    const picked = await t.rpc('rpcutil', 'ping', {}, { nodes: names.slice(0, 11) }).result();
    expect(picked.replies.length).toBe(11);
    expect(requestsSent(broker)).toEqual(names.slice(0, 11).map((n) => `mcollective.node.${n}`));
    broker.published.length = 0;
    const limited = await t.rpc('rpcutil', 'ping', {}, { nodes: names, nodesMatchFilter: true, limit: 11 }).result();
    expect(limited.replies.length).toBe(11);
    expect(requestsSent(broker)).toHaveLength(11);
    expect(requestsSent(broker).every((s) => s.startsWith('mcollective.node.'))).toBe(true);
  });

  it('batches direct requests to the discovered nodes', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 4);
    const t = await client(broker);
    const result = await t.rpc('rpcutil', 'ping', {}, { batch: 2, batchSleepMs: 0 }).result();
    expect(result.stats.responses).toBe(4);
    expect(requestsSent(broker)).toEqual([DISCOVERY, ...['n01', 'n02', 'n03', 'n04'].map((n) => `mcollective.node.${n}`)]);
  });
});

describe('abort', () => {
  it('stops publishing further batches and ends the iteration with an AbortError holding what arrived', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 4);
    const t = await client(broker);
    const controller = new AbortController();
    // A batch sleep far longer than the test's timeout: only the abort can end this call in time.
    const call = t.rpc(
      'rpcutil',
      'ping',
      {},
      {
        batch: 1,
        batchSleepMs: 600_000,
        signal: controller.signal,
        onProgress: (p) => p.stage === 'reply' && controller.abort(),
      },
    );
    const seen: string[] = [];
    const err = await (async () => {
      for await (const reply of call) seen.push(reply.sender);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ code: 'aborted', name: 'AbortError' });
    expect(seen).toEqual(['n01']);
    expect((err as AbortError).partial?.replies.map((r) => r.sender)).toEqual(['n01']);
    expect(requestsSent(broker)).toEqual([DISCOVERY, 'mcollective.node.n01']);
    await expect(call.result()).rejects.toBeInstanceOf(AbortError);
  });

  it('ends the wait for a node that never answers at once', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 1);
    const t = await client(broker);
    const controller = new AbortController();
    const call = t.rpc(
      'rpcutil',
      'ping',
      {},
      {
        filter: { identity: ['n01', 'ghost'] },
        timeoutMs: 600_000,
        signal: controller.signal,
        // Later than the reply, so that only the abort itself can end the wait.
        onProgress: (p) => p.stage === 'reply' && setImmediate(() => controller.abort()),
      },
    );
    await expect(call.result()).rejects.toMatchObject({ code: 'aborted', partial: { noResponse: ['ghost'] } });
  });

  it('sends nothing when the signal has already fired', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 2);
    const t = await client(broker);
    await expect(t.rpc('rpcutil', 'ping', {}, { signal: AbortSignal.abort() }).result()).rejects.toBeInstanceOf(AbortError);
    await expect(t.discover({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(requestsSent(broker)).toEqual([]);
  });
});

describe('agent()', () => {
  it('offers one method per action of a known agent, checked against its DDL', async () => {
    const broker = new MemoryBroker();
    await fleet(broker, 2);
    const t = await client(broker);
    const rpcutil = t.agent('rpcutil');
    expect(Object.keys(rpcutil).sort()).toEqual(Object.keys(t.ddl('rpcutil')!.actions).sort());
    const result = await rpcutil.get_fact!({ fact: 'role' }, { filter: { identity: 'n02' } }).result();
    expect(result.replies.map((r) => [r.sender, r.data.value])).toEqual([['n02', 'db']]);
    await expect(rpcutil.get_fact!({}).result()).rejects.toMatchObject({ code: 'missing_inputs' });
    expect(() => t.agent('frobnicator')).toThrow(expect.objectContaining({ code: 'unknown_agent' }));
  });
});

describe('filters', () => {
  it('builds the wire filter mco would from an object or from the option strings', () => {
    const built = filter({
      fact: [{ fact: 'role', value: 'web' }, 'processors.count>=4', { fact: 'os', value: /deb/i }],
      class: 'nginx',
      agent: /^pup/,
      select: 'role=web or role=db',
    });
    const parsed = parseFilter({
      facts: ['role=web', 'processors.count>=4', 'os=/deb/i'],
      classes: ['nginx'],
      agents: ['/^pup/'],
      selects: ['role=web or role=db'],
    });
    expect(built).toEqual(parsed);
    expect(built.fact[2]).toEqual({ fact: 'os', operator: '=~', value: '/deb/i' });
  });

  it('reports a bad filter as a FilterError with a code and the option', () => {
    expect(() => filter({ select: 'role=web and (' })).toThrow(FilterError);
    expect(() => parseFilter({ facts: ['=x'] })).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^FILTER_/) as string, option: '-F' }),
    );
  });
});
