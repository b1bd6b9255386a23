import { describe, expect, it } from 'vitest';
import { columns, formatReply, formatStats, formatVerboseReply } from '../../../src/client/render/text.js';
import { displayValue, rubyInspect } from '../../../src/client/render/inspect.js';
import { jsonReport } from '../../../src/client/render/json.js';
import { ansi, plain } from '../../../src/client/render/palette.js';
import type { Reply, RequestStats } from '../../../src/client/results.js';
import { parseDDL } from '../../../src/ddl/index.js';
import { pingLine, renderPing } from '../../../src/client/render/ping.js';
import { renderNoNodes, renderRequestReport } from '../../../src/client/render/request.js';
import { renderCollectives } from '../../../src/client/render/inventory.js';

const stats = (over: Partial<RequestStats> = {}): RequestStats => ({
  requestId: 'f'.repeat(32),
  discovered: 3,
  responses: 2,
  ok: 1,
  failed: 1,
  startTime: new Date('2024-05-01T10:00:00.000Z'),
  discoveryMs: 12.345,
  agentMs: 56.7,
  totalMs: 69.045,
  noResponse: ['c.example.net'],
  unexpected: [],
  ...over,
});

const reply = (over: Partial<Reply> = {}): Reply => ({
  sender: 'web1.example.net',
  statuscode: 0,
  statusmsg: 'OK',
  data: {},
  time: 0,
  elapsedMs: 1,
  ...over,
});

describe('formatStats (MCollective RPC::Stats#report)', () => {
  it('-v: caption, right-aligned labels, Nodes as discovered / responses, then the missing nodes', () => {
    expect(formatStats(stats(), true, 'rpcutil#ping call stats', plain)).toBe(
      [
        '---- rpcutil#ping call stats ----',
        '           Nodes: 3 / 2',
        '     Pass / Fail: 1 / 1',
        '      Start Time: 2024-05-01T10:00:00.000Z',
        '  Discovery Time: 12.35ms',
        '      Agent Time: 56.70ms',
        '      Total Time: 69.05ms',
        '',
        'No response from:',
        '',
        '   c.example.net',
        '',
        '',
      ].join('\n'),
    );
  });

  it('-v without discovery shows only the response count', () => {
    const text = formatStats(stats({ discovered: undefined, noResponse: [] }), true, 'rpc stats', plain);
    expect(text.split('\n')[1]).toBe('           Nodes: 2');
  });

  it('short form: Finished processing responses / discovered hosts in the agent time', () => {
    expect(formatStats(stats({ responses: 3, ok: 3, failed: 0, noResponse: [] }), false, 'x', plain)).toBe(
      '\nFinished processing 3 / 3 hosts in 56.70 ms\n',
    );
    expect(formatStats(stats({ discovered: undefined, noResponse: [] }), false, 'x', plain)).toBe(
      '\nFinished processing 2 hosts in 56.70 ms\n',
    );
  });

  it('short form is red when some did not answer, and lists them; unexpected senders get their own list', () => {
    const text = formatStats(stats({ unexpected: ['z.example.net'] }), false, 'x', ansi);
    expect(text).toContain('\u001b[31mFinished processing 2 / 3 hosts');
    expect(text).toContain('No response from:');
    expect(text).toContain('Unexpected response from:\u001b[0m\n\n   z.example.net');
  });
});

describe('columns', () => {
  it('lays names out across 80 characters, indented by three', () => {
    const names = Array.from({ length: 7 }, (_, i) => `node-${String(i + 1).padStart(5, '0')}.example.net`);
    const lines = columns(names).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('   node-00001.example.net  node-00002.example.net  node-00003.example.net');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('puts a name longer than the line on its own line', () => {
    expect(columns(['x'.repeat(100), 'y'])).toBe(`   ${'x'.repeat(100)}\n   y\n`);
  });
});

describe('per-reply text', () => {
  const action = parseDDL(
    {
      metadata: { name: 'a', description: 'd', author: 'x', license: 'x', version: '1', url: 'https://x', timeout: 1 },
      actions: {
        go: {
          description: 'd',
          display: 'always',
          input: {},
          output: { pong: { description: 'p', display_as: 'Timestamp', type: 'integer' } },
        },
      },
    },
    'test',
  ).actions.go;

  it('OK: the sender, then each output right-aligned under its display_as label', () => {
    expect(formatReply(reply({ data: { pong: 123, other: 'x' } }), action, plain)).toBe(
      'web1.example.net\n   Timestamp: 123\n       other: x\n\n',
    );
  });

  it('failed: sender padded to 40 and the status word, then the message', () => {
    expect(formatReply(reply({ statuscode: 4, statusmsg: "Input 'fact' does not match" }), action, plain)).toBe(
      `${'web1.example.net'.padEnd(40)} Invalid Request Data\n   Input 'fact' does not match\n\n`,
    );
  });

  it('-v: sender, status message and the data inspected Ruby-style', () => {
    expect(formatVerboseReply(reply({ data: { pong: 1, 'a-b': [true, null] } }), plain)).toBe(
      `${'web1.example.net'.padEnd(40)}: OK\n    {:pong=>1, "a-b"=>[true, nil]}\n\n`,
    );
  });

  it('rubyInspect and displayValue', () => {
    expect(rubyInspect({ s: 'x', n: 1.5, o: { k: [] } })).toBe('{:s=>"x", :n=>1.5, :o=>{:k=>[]}}');
    expect(displayValue({ a: 1 }, 4)).toBe('{\n      "a": 1\n    }');
    expect(displayValue(undefined, 2)).toBe('');
  });
});

describe('jsonReport', () => {
  it('carries replies and request_stats a CI job can read', () => {
    const r = jsonReport('rpcutil', 'ping', [reply({ data: { pong: 5 }, time: Date.UTC(2024, 0, 1) })], stats(), []);
    expect(r).toMatchObject({
      agent: 'rpcutil',
      action: 'ping',
      replies: [{ sender: 'web1.example.net', statuscode: 0, statusmsg: 'OK', data: { pong: 5 }, time: '2024-01-01T00:00:00.000Z' }],
      request_stats: {
        requestid: 'f'.repeat(32),
        discovered: 3,
        responses: 2,
        ok: 1,
        failed: 1,
        no_responses: ['c.example.net'],
        discovery_time_ms: 12.35,
        agent_time_ms: 56.7,
      },
      summaries: [],
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('outcome renderers (pure: outcome in, text for stdout and stderr out)', () => {
  const replies = [reply({ sender: 'b', elapsedMs: 2.5 }), reply({ sender: 'a', elapsedMs: 1.25 })];

  it('ping: the statistics after the per-reply lines, or one JSON document; silence goes to stderr', () => {
    expect(pingLine(replies[0]!)).toBe(`${'b'.padEnd(40)} time=2.50 ms\n`);
    expect(renderPing({ replies, wallMs: 7, warnings: [], exitCode: 0 }, false)).toEqual({
      out: '\n\n---- ping statistics ----\n2 replies max: 2.50 min: 1.25 avg: 1.88\n',
      err: '',
    });
    expect(renderPing({ replies: [], wallMs: 7, warnings: [], exitCode: 4 }, false)).toEqual({ out: '', err: 'No responses received\n' });
    const doc = JSON.parse(renderPing({ replies, wallMs: 7, warnings: [], exitCode: 0 }, true).out) as {
      replies: unknown[];
      stats: { count: number; wall_ms: number };
    };
    expect(doc.replies).toEqual([
      { sender: 'b', time_ms: 2.5 },
      { sender: 'a', time_ms: 1.25 },
    ]);
    expect(doc.stats).toMatchObject({ count: 2, wall_ms: 7, max_ms: 2.5 });
  });

  it('no nodes discovered: a message on stderr, or the JSON error document on stdout', () => {
    expect(renderNoNodes(false)).toEqual({ out: '', err: 'No request sent, we did not discover any nodes.\n' });
    expect(JSON.parse(renderNoNodes(true).out)).toEqual({ error: 'no nodes discovered', replies: [] });
  });

  it('a request report: replies sorted by sender, failed ones only by default, then the stats', () => {
    const report = {
      kind: 'replies' as const,
      agent: 'a',
      action: 'go',
      replies: [reply({ sender: 'z', statuscode: 1, statusmsg: 'boom' }), reply({ sender: 'y' })],
      stats: stats(),
      summaries: [],
      exitCode: 2,
    };
    const text = renderRequestReport(report, { json: false, verbose: false, palette: plain });
    expect(text.startsWith(`${'z'.padEnd(40)} Request Aborted\n   boom\n\n\nFinished processing 2 / 3 hosts`)).toBe(true);
    expect(renderRequestReport(report, { json: false, verbose: false, palette: plain, display: 'all' }).startsWith('y\n\nz')).toBe(true);
  });
});

describe('renderCollectives (MCollective inventory --list-collectives)', () => {
  const outcome = (over: Partial<RequestStats> = {}) => ({
    kind: 'collectives' as const,
    rows: [
      ['lon', ['l1']],
      ['ams', ['a1', 'a2']],
      ['mcollective', ['a1', 'a2', 'l1']],
    ] as Array<[string, string[]]>,
    total: 3,
    stats: stats({ discovered: 3, responses: 3, ok: 3, failed: 0, noResponse: [], ...over }),
    exitCode: 0,
  });
  const opts = { json: false, verbose: false, palette: plain };

  it('prints the Collective / Nodes table and the total, nothing else when every node answered', () => {
    expect(renderCollectives(outcome(), opts).out).toBe(
      [
        '   Collective                     Nodes',
        '   ==========                     =====',
        '   lon                            1',
        '   ams                            2',
        '   mcollective                    3',
        '',
        '                     Total nodes: 3',
        '',
      ].join('\n'),
    );
  });

  it('names the nodes that did not answer', () => {
    const text = renderCollectives(outcome({ discovered: 4, noResponse: ['n1'] }), opts).out;
    expect(text).toContain('Finished processing 3 / 4 hosts');
    expect(text).toContain('No response from:\n\n   n1');
  });

  it('--json: counts and members per collective', () => {
    const parsed = JSON.parse(renderCollectives(outcome(), { ...opts, json: true }).out) as Record<string, unknown>;
    expect(parsed.collectives).toEqual({ lon: 1, ams: 2, mcollective: 3 });
    expect((parsed.members as Record<string, string[]>).ams).toEqual(['a1', 'a2']);
    expect(parsed.total_nodes).toBe(3);
  });
});
