import { afterEach, describe, expect, it, vi } from 'vitest';
import { advance, settle, tracked, useFakeClock } from '../../helpers/fake-clock.js';
import { ActionFailed, type AgentPlugin } from '../../../src/server/agent.js';
import { SecurityError, InsecureProvider } from '../../../src/security/index.js';
import { PROTOCOL, buildRequestFrame, encodeFrame } from '../../../src/protocol/index.js';
import type { Outcome } from '../../../src/server/dispatcher.js';
import { agentDDL, filterWith, frameOf, harness, replyOf, requestEnvelope, type Harness } from './fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

const echo: AgentPlugin = {
  ddl: agentDDL('echo', {
    say: {
      description: 'Echo a message',
      display: 'always',
      input: {
        message: { prompt: 'Message', description: 'Text', type: 'string', validation: '^[a-z ]+$', maxlength: 12 },
        count: { prompt: 'Count', description: 'Times', type: 'integer', optional: true, default: 1 },
      },
      output: {
        message: { description: 'The text', display_as: 'Message', type: 'string' },
        count: { description: 'Times', display_as: 'Count', type: 'integer' },
        note: { description: 'A note', display_as: 'Note', type: 'string', default: 'none' },
      },
    },
  }),
  async invoke(req) {
    return { message: req.data.message, count: req.data.count };
  },
};

let slowSignal: AbortSignal | undefined;
const slow: AgentPlugin = {
  ddl: agentDDL('slow', { wait: { description: 'Wait until aborted', display: 'always', input: {}, output: {} } }, 0.2),
  invoke: (_req, ctx) =>
    new Promise((resolve) => {
      slowSignal = ctx.signal;
      const t = setTimeout(() => resolve({ done: true }), 10_000);
      ctx.signal.addEventListener('abort', () => clearTimeout(t));
    }),
};

const boom: AgentPlugin = {
  ddl: agentDDL('boom', {
    crash: { description: 'Throws a TypeError', display: 'always', input: {}, output: {} },
    refuse: { description: 'Fails on purpose', display: 'always', input: {}, output: {} },
    bigint: { description: 'Returns what JSON cannot hold', display: 'always', input: {}, output: {} },
  }),
  async invoke(req) {
    if (req.action === 'crash') throw new TypeError('cannot read properties of undefined');
    if (req.action === 'refuse') throw new ActionFailed('the disk is full', 4, { free: 0 });
    return { n: 10n };
  },
};

/** Answers without a promise, as discovery and rpcutil do. */
const instant: AgentPlugin = {
  ddl: agentDDL('instant', {
    now: {
      description: 'Answers at once',
      display: 'always',
      input: {},
      output: { n: { description: 'A number', display_as: 'N', type: 'integer' } },
    },
    refuse: { description: 'Fails at once', display: 'always', input: {}, output: {} },
    crash: { description: 'Throws at once', display: 'always', input: {}, output: {} },
  }),
  invoke(req) {
    if (req.action === 'refuse') throw new ActionFailed('not today', 1);
    if (req.action === 'crash') throw new RangeError('out of range');
    return { n: 42 };
  },
};

const agents = [echo, slow, boom, instant];

function rejectionsOf(h: Harness): Record<string, number> {
  return h.stats.snapshot().rejected;
}

describe('Dispatcher: replies and status codes', () => {
  it('runs a valid request and replies 0 with DDL output defaults, to the frame reply address', async () => {
    const h = harness({ agents });
    const req = requestEnvelope('echo', 'say', { message: 'hello' });
    const out = await h.dispatcher.dispatch(frameOf(req, 'mcollective.reply.c.1'), 'mcollective');
    expect(out?.replyTo).toBe('mcollective.reply.c.1');
    const reply = replyOf(out);
    expect(reply).toMatchObject({ request_id: req.id, sender: 'node1.example.net', agent: 'echo', action: 'say' });
    expect(reply.message).toEqual({ statuscode: 0, statusmsg: 'OK', data: { message: 'hello', count: 1, note: 'none' } });
    expect(h.stats.snapshot()).toMatchObject({ total: 1, validated: 1, passed: 1, filtered: 0, replies: 1, rejected: {} });
  });

  it('a reply address given by the broker wins over the one in the frame', async () => {
    const h = harness({ agents });
    const out = await h.dispatcher.dispatch(
      frameOf(requestEnvelope('echo', 'say', { message: 'hi' }), 'frame.addr'),
      'mcollective',
      'broker.addr',
    );
    expect(out?.replyTo).toBe('broker.addr');
  });

  it('2 for an unknown action, naming it', async () => {
    const h = harness({ agents });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'shout')), 'mcollective'));
    expect(message.statuscode).toBe(2);
    expect(message.statusmsg).toContain("'shout'");
  });

  it('2 for an agent this node does not host, counted as unknown_agent', async () => {
    const h = harness({ agents });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('nosuch', 'ping')), 'mcollective'));
    expect(message.statuscode).toBe(2);
    expect(message.statusmsg).toContain("'nosuch'");
    expect(rejectionsOf(h)).toEqual({ unknown_agent: 1 });
    expect(h.logLines().filter((l) => l.reason === 'unknown_agent')).toHaveLength(1);
  });

  it('3 for a missing input, naming it', async () => {
    const h = harness({ agents });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', {})), 'mcollective'));
    expect(message).toMatchObject({ statuscode: 3, statusmsg: "Missing required input 'message'" });
  });

  it('4 for invalid inputs, naming the input', async () => {
    const h = harness({ agents });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ message: 'HELLO' }, "Input 'message' does not match"],
      [{ message: 'a much too long text' }, "Input 'message' is longer than 12"],
      [{ message: 'hi', count: 'two' }, "Input 'count' should be an integer"],
      [{ message: 'hi', colour: 'red' }, "Input 'colour' is not declared"],
    ];
    for (const [data, text] of cases) {
      const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', data)), 'mcollective'));
      expect(message.statuscode, JSON.stringify(data)).toBe(4);
      expect(message.statusmsg).toContain(text);
    }
  });

  it('an action that overruns its DDL timeout is aborted: status 1, and its signal fires', async () => {
    const h = harness({ agents });
    useFakeClock();
    const dispatched = tracked(Promise.resolve(h.dispatcher.dispatch(frameOf(requestEnvelope('slow', 'wait')), 'mcollective')));
    await advance(199);
    expect(dispatched.settled).toBe(false);
    expect(slowSignal?.aborted).toBe(false);
    await advance(1);
    await settle('the action to be aborted at its 0.2 s timeout', () => dispatched.settled);
    const { message } = replyOf(await dispatched.promise);
    expect(message.statuscode).toBe(1);
    expect(message.statusmsg).toContain('did not complete within 0.2 seconds');
    expect(slowSignal?.aborted).toBe(true);
  });

  it('an action that answers at once is concluded before dispatch returns, with no timer armed', () => {
    const h = harness({ agents });
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const out = h.dispatcher.dispatch(frameOf(requestEnvelope('instant', 'now')), 'mcollective');
      expect(out).not.toBeInstanceOf(Promise);
      expect(replyOf(out as Outcome).message).toEqual({ statuscode: 0, statusmsg: 'OK', data: { n: 42 } });
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
  });

  it('an action failing at once gets its status; throwing at once gets 5 and is logged', () => {
    const h = harness({ agents });
    const refused = replyOf(h.dispatcher.dispatch(frameOf(requestEnvelope('instant', 'refuse')), 'mcollective') as Outcome);
    expect(refused.message).toMatchObject({ statuscode: 1, statusmsg: 'not today' });
    const crashed = replyOf(h.dispatcher.dispatch(frameOf(requestEnvelope('instant', 'crash')), 'mcollective') as Outcome);
    expect(crashed.message.statuscode).toBe(5);
    expect(crashed.message.statusmsg).toContain('out of range');
    expect(h.logLines().filter((l) => l.msg === 'action raised an unexpected error')).toHaveLength(1);
  });

  it('ActionFailed sets the status, message and data', async () => {
    const h = harness({ agents });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('boom', 'refuse')), 'mcollective'));
    expect(message).toEqual({ statuscode: 4, statusmsg: 'the disk is full', data: { free: 0 } });
  });

  it('an agent throwing unexpectedly gets 5, is logged, and the dispatcher keeps going', async () => {
    const h = harness({ agents });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('boom', 'crash')), 'mcollective'));
    expect(message.statuscode).toBe(5);
    expect(message.statusmsg).toContain('cannot read properties of undefined');
    expect(h.logLines().filter((l) => l.msg === 'action raised an unexpected error')).toHaveLength(1);
    const next = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', { message: 'still here' })), 'mcollective'));
    expect(next.message.statuscode).toBe(0);
  });

  it('a result that cannot be encoded sends nothing and is counted as reply_encoding', async () => {
    const h = harness({ agents });
    expect(await h.dispatcher.dispatch(frameOf(requestEnvelope('boom', 'bigint')), 'mcollective')).toBeUndefined();
    expect(rejectionsOf(h)).toEqual({ reply_encoding: 1 });
    expect(h.stats.snapshot().replies).toBe(0);
  });

  it('abortAll() aborts running actions (drain timeout)', async () => {
    const h = harness({ agents });
    const started = slowSignal;
    const pending = h.dispatcher.dispatch(frameOf(requestEnvelope('slow', 'wait')), 'mcollective');
    await settle('the action to start', () => slowSignal !== started);
    expect(slowSignal?.aborted).toBe(false);
    h.dispatcher.abortAll();
    expect(slowSignal?.aborted).toBe(true);
    await pending;
  });
});

describe('Dispatcher: filters', () => {
  it('drops a request whose filter does not match, quietly, counted as filtered', async () => {
    const h = harness({ agents });
    const req = requestEnvelope(
      'echo',
      'say',
      { message: 'hi' },
      { filter: filterWith({ fact: [{ fact: 'role', operator: '==', value: 'db' }] }) },
    );
    expect(await h.dispatcher.dispatch(frameOf(req), 'mcollective')).toBeUndefined();
    expect(h.stats.snapshot()).toMatchObject({ total: 1, validated: 1, filtered: 1, passed: 0, replies: 0, rejected: {} });
    expect(h.logLines().filter((l) => (l.level as number) >= 40)).toHaveLength(0);
  });

  it('evaluates dotted structured facts, classes and identity', async () => {
    const h = harness({ agents });
    const f = filterWith({ fact: [{ fact: 'os.family', operator: '==', value: 'Debian' }], cf_class: ['base'], identity: ['/^node1\\./'] });
    expect(
      replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { filter: f })), 'mcollective')).message
        .statuscode,
    ).toBe(0);
  });

  it('a filter that cannot be evaluated is counted once as bad_filter and not answered', async () => {
    const h = harness({ agents });
    const req = requestEnvelope('echo', 'say', { message: 'hi' }, { filter: filterWith({ compound: ['role=web and ('] }) });
    expect(await h.dispatcher.dispatch(frameOf(req), 'mcollective')).toBeUndefined();
    expect(rejectionsOf(h)).toEqual({ bad_filter: 1 });
    expect(h.stats.snapshot().passed).toBe(0);
  });
});

describe('Dispatcher: every rejection counted once under its reason, logged once, never thrown', () => {
  const big = new Uint8Array(70 * 1024).fill(0x20);
  const notUtf8 = new Uint8Array([0xff, 0xfe, 0xfd]);
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const frameAround = (data: unknown) => enc({ protocol: PROTOCOL.transport, sender: 'x', reply_to: 'r', data });

  const cases: Array<[string, string, () => Uint8Array, string?]> = [
    ['oversize', 'larger than max_message_size', () => big],
    ['malformed', 'not UTF-8', () => notUtf8],
    ['malformed', 'not JSON', () => new TextEncoder().encode('{"protocol": nope')],
    ['schema', 'a JSON value that is not a frame', () => enc([1, 2, 3])],
    ['schema', 'a frame around a non-request', () => frameAround({ protocol: PROTOCOL.secureReply, reply: '{}', hash: 'x' })],
    ['malformed', 'a request text that is not JSON', () => frameAround({ protocol: PROTOCOL.secureRequest, request: '{hello' })],
    ['schema', 'a request text that is no JSON object', () => frameAround({ protocol: PROTOCOL.secureRequest, request: 'hello' })],
    ['schema', 'a request missing its ttl', () => frameOf({ ...requestEnvelope('echo', 'say'), ttl: undefined })],
    ['ttl_expired', 'a stale request', () => frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { time: Date.now() - 120_000 }))],
    [
      'future_message',
      'a request dated ahead',
      () => frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { time: Date.now() + 120_000 })),
    ],
    [
      'wrong_collective',
      'a request naming another collective',
      () => frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { collective: 'dev' })),
    ],
    [
      'wrong_collective',
      'a collective this node is not in',
      () => frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { collective: 'prod' })),
      'prod',
    ],
  ];

  for (const [reason, what, make, arrivedOn] of cases) {
    it(`${what} → ${reason}`, async () => {
      const h = harness({ agents });
      expect(await h.dispatcher.dispatch(make(), arrivedOn ?? 'mcollective')).toBeUndefined();
      const s = h.stats.snapshot();
      expect(s.rejected).toEqual({ [reason]: 1 });
      expect(s.total).toBe(1);
      expect(s.validated).toBe(0);
      expect(s.unvalidated).toBe(['oversize', 'malformed', 'schema'].includes(reason) ? 1 : 0);
      expect(s.ttlexpired).toBe(reason === 'ttl_expired' ? 1 : 0);
      const warnings = h.logLines().filter((l) => l.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ reason });
    });
  }

  it('a security provider refusing the request → its own code', async () => {
    const security = new InsecureProvider('user=test');
    security.verifyRequest = () => {
      throw new SecurityError('bad_signature', 'signature does not match');
    };
    const h = harness({ agents, security });
    expect(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', { message: 'hi' })), 'mcollective')).toBeUndefined();
    expect(rejectionsOf(h)).toEqual({ bad_signature: 1 });
  });

  it('an unexpected error inside a stage → internal, still no throw', async () => {
    const security = new InsecureProvider('user=test');
    security.verifyRequest = () => {
      throw new Error('provider bug');
    };
    const h = harness({ agents, security });
    expect(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', { message: 'hi' })), 'mcollective')).toBeUndefined();
    expect(rejectionsOf(h)).toEqual({ internal: 1 });
  });

  it('an authorizer refusal replies 1 and counts unauthorized', async () => {
    const h = harness({ agents, authorizer: { authorize: () => ({ allowed: false, reason: 'policy denies echo#say' }) } });
    const { message } = replyOf(await h.dispatcher.dispatch(frameOf(requestEnvelope('echo', 'say', { message: 'hi' })), 'mcollective'));
    expect(message.statuscode).toBe(1);
    expect(message.statusmsg).toContain('policy denies echo#say');
    expect(rejectionsOf(h)).toEqual({ unauthorized: 1 });
  });

  it('counts add up over a mixed stream, and a good request still gets its reply', async () => {
    const h = harness({ agents });
    const stream = [
      new TextEncoder().encode('garbage'),
      frameOf(requestEnvelope('echo', 'say', { message: 'hi' }, { time: 0 })),
      encodeFrame(buildRequestFrame({ protocol: PROTOCOL.secureRequest, request: '{}' }, 'x', 'r')),
      frameOf(requestEnvelope('echo', 'say', { message: 'hi' })),
    ];
    const outs = await Promise.all(stream.map((b) => Promise.resolve(h.dispatcher.dispatch(b, 'mcollective'))));
    expect(outs.filter(Boolean)).toHaveLength(1);
    expect(h.stats.snapshot()).toMatchObject({
      total: 4,
      validated: 1,
      unvalidated: 2,
      ttlexpired: 1,
      replies: 1,
      rejected: { malformed: 1, ttl_expired: 1, schema: 1 },
    });
  });
});
