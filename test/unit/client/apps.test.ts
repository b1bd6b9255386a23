// The client applications as a library: each returns its outcome and reports progress as events, writing nothing
// (the session's output streams throw). The fleet is real NodeServers on the in-memory broker.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../src/client/apps/events.js';
import { runPing } from '../../../src/client/apps/ping.js';
import { runPuppet, type PuppetEvent } from '../../../src/client/apps/puppet/index.js';
import { collectiveRows, runListCollectives } from '../../../src/client/apps/inventory.js';
import { runRpc } from '../../../src/client/apps/rpc.js';
import { plain } from '../../../src/client/render/palette.js';
import { renderPuppet } from '../../../src/client/render/puppet.js';
import type { SendOptions, TargetOptions } from '../../../src/client/request.js';
import { loadDDLFile } from '../../../src/ddl/index.js';
import { buildFilter, emptyFilter } from '../../../src/filter/index.js';
import { rpcutilAgent } from '../../../src/plugins/agents/rpcutil/agent.js';
import { ActionFailed, type AgentPlugin } from '../../../src/server/agent.js';
import { memoryFleet, type MemoryFleet } from './memory-session.js';

const puppetDDL = loadDDLFile(fileURLToPath(new URL('../../../src/plugins/agents/puppet/puppet.ddl.json', import.meta.url)));

/** The puppet agent's status action, answering with fixed data. */
function fakePuppet(enabled: boolean): AgentPlugin {
  return {
    ddl: puppetDDL,
    invoke(req) {
      if (req.action !== 'status') throw new ActionFailed(`${req.action} is not part of this test`, 2);
      return {
        applying: false,
        idling: false,
        enabled,
        daemon_present: false,
        lastrun: 1_700_000_000,
        since_lastrun: 10,
        status: enabled ? 'stopped' : 'disabled',
        disable_message: enabled ? '' : 'maintenance',
        message: enabled ? 'Currently stopped; last completed run 10 seconds ago' : 'Currently disabled: maintenance',
      };
    },
  };
}

const target = (over: Partial<TargetOptions> = {}): TargetOptions => ({
  filter: emptyFilter(),
  collective: 'mcollective',
  discoveryMethod: 'mc',
  discoveryOptions: {},
  discoveryTimeoutMs: 1000,
  quietWindowMs: 100,
  limitMethod: 'first',
  ...over,
});

const send = (over: Partial<SendOptions> = {}) => ({ timeoutMs: 2000, ttl: 60, batchSleepMs: 0, noResults: false, ...over });

let fleet: MemoryFleet | undefined;
afterEach(async () => {
  const done = fleet;
  fleet = undefined;
  await done?.stop();
  expect(done?.written ?? []).toEqual([]);
});

async function threeNodes(defaults = {}) {
  fleet = await memoryFleet(
    {
      n01: { agents: [rpcutilAgent, fakePuppet(true)] },
      n02: { agents: [rpcutilAgent, fakePuppet(false)] },
      n03: { agents: [rpcutilAgent, fakePuppet(true)] },
    },
    defaults,
  );
  return fleet.session;
}

const senders = (replies: ReadonlyArray<{ sender: string }>) => replies.map((r) => r.sender).sort();

describe('ping', () => {
  it('returns every reply with its round trip, and reports each one as it arrives', async () => {
    const session = await threeNodes();
    const events: AppEvent[] = [];
    const outcome = await runPing(session, { target: target(), ttl: 60, expect: 3 }, (e) => events.push(e));
    expect(senders(outcome.replies)).toEqual(['n01', 'n02', 'n03']);
    expect(outcome).toMatchObject({ expected: 3, warnings: [], exitCode: 0 });
    for (const r of outcome.replies) expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(events).toEqual(outcome.replies.map((reply) => ({ type: 'reply', reply })));
  });

  it('says in its outcome, and before any reply, that the registry count it was configured to wait for is missing', async () => {
    const session = await threeNodes({ expectFromRegistry: true });
    const events: AppEvent[] = [];
    const outcome = await runPing(session, { target: target(), ttl: 60 }, (e) => events.push(e));
    expect(outcome.warnings).toEqual([
      expect.stringMatching(/^no expected count from the registry \(.*no registry\); waiting for the quiet window$/),
    ]);
    expect(events[0]).toEqual({ type: 'warning', message: outcome.warnings[0] });
    expect(senders(outcome.replies)).toEqual(['n01', 'n02', 'n03']);
    expect(outcome.expected).toBeUndefined();
  });

  it('asked explicitly for the registry count, an unavailable registry is an error', async () => {
    const session = await threeNodes();
    await expect(runPing(session, { target: target(), ttl: 60, expect: 'registry' })).rejects.toThrow(/no registry/);
  });

  it('exits 4 when nobody answers (no discovery was done)', async () => {
    const session = await threeNodes();
    const outcome = await runPing(session, { target: target({ filter: buildFilter({ facts: ['role=db'] }) }), timeoutMs: 300, ttl: 60 });
    expect(outcome).toMatchObject({ replies: [], exitCode: 4 });
  });
});

describe('inventory --list-collectives', () => {
  async function sites() {
    fleet = await memoryFleet({
      a1: { agents: [rpcutilAgent], collectives: ['mcollective', 'ams'] },
      a2: { agents: [rpcutilAgent], collectives: ['mcollective', 'ams'] },
      l1: { agents: [rpcutilAgent], collectives: ['mcollective', 'lon'] },
      // Not in the main collective, so main-collective discovery does not find it (as MCollective).
      x1: { agents: [rpcutilAgent], collectives: ['lab'] },
    });
    return fleet.session;
  }

  it('counts the nodes of each collective from rpcutil#collective_info, smallest first', async () => {
    const outcome = await runListCollectives(await sites(), target(), send());
    if (outcome.kind !== 'collectives') throw new Error(outcome.kind);
    expect(outcome.rows).toEqual([
      ['lon', ['l1']],
      ['ams', ['a1', 'a2']],
      ['mcollective', ['a1', 'a2', 'l1']],
    ]);
    expect(outcome.total).toBe(3);
    expect(outcome.exitCode).toBe(0);
  });

  it('-T: discovery in that collective only', async () => {
    const outcome = await runListCollectives(await sites(), target({ collective: 'lon' }), send());
    if (outcome.kind !== 'collectives') throw new Error(outcome.kind);
    expect(outcome.rows).toEqual([
      ['lon', ['l1']],
      ['mcollective', ['l1']],
    ]);
  });

  it('no node found: nothing is sent', async () => {
    const outcome = await runListCollectives(await sites(), target({ collective: 'nyc', discoveryTimeoutMs: 200 }), send());
    expect(outcome.kind).toBe('no_nodes');
  });

  it('ignores malformed collective lists and counts a node once per collective', () => {
    expect(
      collectiveRows([
        { sender: 'a', data: { collectives: ['x', 'x', 7] } },
        { sender: 'b', data: { collectives: ['x', 'y'] } },
      ]),
    ).toEqual([
      ['y', ['b']],
      ['x', ['a', 'b']],
    ]);
  });
});

describe('rpc', () => {
  const ping = { agent: 'rpcutil', action: 'ping', args: [] };

  it('returns the replies, stats and exit code, with the request start, each reply and its end as events', async () => {
    const session = await threeNodes();
    const events: AppEvent[] = [];
    const outcome = await runRpc(session, { ...ping, target: target(), send: send() }, (e) => events.push(e));
    if (outcome.kind !== 'replies') throw new Error(`expected replies, got ${outcome.kind}`);
    expect(outcome).toMatchObject({ agent: 'rpcutil', action: 'ping', exitCode: 0, summaries: [] });
    expect(senders(outcome.replies)).toEqual(['n01', 'n02', 'n03']);
    expect(outcome.stats).toMatchObject({ discovered: 3, responses: 3, ok: 3, failed: 0, noResponse: [], unexpected: [] });
    expect(outcome.actionDDL?.output.pong).toBeDefined();
    expect(events.map((e) => e.type)).toEqual(['request_start', 'reply', 'reply', 'reply', 'request_end']);
    expect(events[0]).toEqual({ type: 'request_start', expected: 3 });
  });

  it('names the discovered nodes that did not answer, and exits 2', async () => {
    const session = await threeNodes();
    const outcome = await runRpc(session, {
      ...ping,
      target: target({ filter: buildFilter({ identities: ['n01', 'n09'] }) }),
      send: send({ timeoutMs: 300 }),
    });
    expect(outcome.kind).toBe('replies');
    expect(outcome.exitCode).toBe(2);
    if (outcome.kind === 'replies') expect(outcome.stats.noResponse).toEqual(['n09']);
  });

  it('sends nothing when discovery finds no node', async () => {
    const session = await threeNodes();
    const events: AppEvent[] = [];
    const outcome = await runRpc(
      session,
      { ...ping, target: target({ filter: buildFilter({ facts: ['role=db'] }), discoveryTimeoutMs: 300 }), send: send() },
      (e) => events.push(e),
    );
    expect(outcome).toEqual({ kind: 'no_nodes', exitCode: 1 });
    expect(events).toEqual([]);
  });

  it('--discovery-only and --no-results outcomes', async () => {
    const session = await threeNodes();
    const found = await runRpc(session, { ...ping, target: target(), send: send(), discoveryOnly: true });
    expect(found).toMatchObject({ kind: 'discovered', exitCode: 0 });
    if (found.kind === 'discovered') expect([...found.nodes].sort()).toEqual(['n01', 'n02', 'n03']);
    const sent = await runRpc(session, { ...ping, target: target(), send: send({ noResults: true }) });
    expect(sent).toMatchObject({ kind: 'sent', exitCode: 0 });
    expect('requestId' in sent ? sent.requestId : undefined).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses inputs the DDL refuses before anything is sent', async () => {
    const session = await threeNodes();
    await expect(runRpc(session, { agent: 'rpcutil', action: 'get_fact', args: [], target: target(), send: send() })).rejects.toThrow(
      /needs fact=/,
    );
    expect(fleet!.broker.published).toEqual([]);
  });
});

describe('puppet status', () => {
  it("returns each node's status, the DDL summaries and the stats; renders them without a session", async () => {
    const session = await threeNodes();
    const events: PuppetEvent[] = [];
    const outcome = await runPuppet(session, { action: 'status' }, { target: target(), send: send() }, (e) => events.push(e));
    if (outcome.kind !== 'status') throw new Error(`expected status, got ${outcome.kind}`);
    expect(outcome.exitCode).toBe(0);
    expect(senders(outcome.request.replies)).toEqual(['n01', 'n02', 'n03']);
    expect(outcome.request.stats).toMatchObject({ discovered: 3, responses: 3, noResponse: [] });
    const enabled = outcome.request.summaries.find((s) => s.field === 'enabled');
    expect(enabled?.value).toEqual([
      ['enabled', 2],
      ['disabled', 1],
    ]);
    expect(events.map((e) => e.type)).toEqual(['request_start', 'reply', 'reply', 'reply', 'request_end']);

    const text = renderPuppet(outcome, { json: false, verbose: false, palette: plain });
    expect(text.err).toBe('');
    expect(text.out.split('\n').slice(0, 3)).toEqual([
      '   n01: Currently stopped; last completed run 10 seconds ago',
      '   n02: Currently disabled: maintenance',
      '   n03: Currently stopped; last completed run 10 seconds ago',
    ]);
    expect(text.out).toMatch(/\nFinished processing 3 \/ 3 hosts in \d+\.\d\d ms\n$/);
    const json = JSON.parse(renderPuppet(outcome, { json: true, verbose: false, palette: plain }).out) as {
      request_stats: { responses: number };
    };
    expect(json.request_stats.responses).toBe(3);
  });

  it('a discovered node that did not answer is named in the outcome and fails the run (exit 2)', async () => {
    const session = await threeNodes();
    const outcome = await runPuppet(
      session,
      { action: 'status' },
      { target: target({ filter: buildFilter({ identities: ['n02', 'n09'] }) }), send: send({ timeoutMs: 300 }) },
    );
    expect(outcome.exitCode).toBe(2);
    if (outcome.kind !== 'status') throw new Error(`expected status, got ${outcome.kind}`);
    expect(outcome.request.stats.noResponse).toEqual(['n09']);
    expect(senders(outcome.request.replies)).toEqual(['n02']);
  });

  it('count tallies the same replies', async () => {
    const session = await threeNodes();
    const outcome = await runPuppet(session, { action: 'count' }, { target: target(), send: send() });
    expect(outcome).toMatchObject({
      kind: 'count',
      exitCode: 0,
      noResponse: [],
      counts: { total: 3, enabled: 2, disabled: 1, applying: 0, failed: 0 },
    });
  });
});
