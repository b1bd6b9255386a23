// runall's scheduling against an in-memory fleet: each fake node runs for a while, answers status after a
// latency, and may refuse, go silent or never start. Times are milliseconds throughout (node and client clock).
import { describe, expect, it } from 'vitest';
import { judge, runAll, StatusPoller, type NodeStatus, type RunsClient, type Trigger } from '../../../src/client/apps/puppet/runs.js';

interface FakeNode {
  applying: boolean;
  enabled: boolean;
  lastrun: number;
  runMs: number;
  /** Time between the request and the run taking its lock (splay, start-up). */
  startDelayMs?: number;
  statusLatencyMs?: number;
  /** Stops answering status once asked to run. */
  silentAfterTrigger?: boolean;
  ignoresRunonce?: boolean;
  neverStarts?: boolean;
  triggered?: boolean;
}

class FakeFleet implements RunsClient {
  readonly intervals: Array<{ host: string; start: number; end: number }> = [];
  statusRequests = 0;

  constructor(readonly nodes: Map<string, FakeNode>) {}

  /** A run the node started on its own, already going. */
  ownRun(host: string, ms: number): void {
    const node = this.nodes.get(host)!;
    node.applying = true;
    const start = Date.now();
    setTimeout(() => this.finish(host, start), ms);
  }

  private finish(host: string, start: number): void {
    const node = this.nodes.get(host)!;
    node.applying = false;
    node.lastrun = Date.now();
    this.intervals.push({ host, start, end: node.lastrun });
  }

  async status(hosts: readonly string[], onReply: (host: string, s: NodeStatus) => void): Promise<void> {
    this.statusRequests++;
    await Promise.all(
      hosts.map(async (host) => {
        const node = this.nodes.get(host)!;
        if (node.silentAfterTrigger && node.triggered) return;
        await new Promise((r) => setTimeout(r, node.statusLatencyMs ?? 1));
        onReply(host, { applying: node.applying, enabled: node.enabled, lastrun: node.lastrun });
      }),
    );
  }

  async runonce(host: string): Promise<Trigger | undefined> {
    const node = this.nodes.get(host)!;
    if (node.ignoresRunonce) return undefined;
    if (!node.enabled) return { ok: false, message: "Puppet is disabled: 'maintenance'", initiatedAt: 0 };
    if (node.applying) return { ok: false, message: 'Puppet is currently applying a catalog, cannot run now', initiatedAt: 0 };
    node.triggered = true;
    const initiatedAt = Date.now();
    if (!node.neverStarts) {
      setTimeout(() => {
        node.applying = true;
        const start = Date.now();
        setTimeout(() => this.finish(host, start), node.runMs);
      }, node.startDelayMs ?? 0);
    }
    return { ok: true, message: "Started a Puppet run using the 'puppet agent --onetime' command", initiatedAt };
  }
}

function fleet(count: number, make: (i: number) => Partial<FakeNode> = () => ({})): FakeFleet {
  const nodes = new Map<string, FakeNode>();
  for (let i = 1; i <= count; i++) nodes.set(`node${i}`, { applying: false, enabled: true, lastrun: 1, runMs: 40, ...make(i) });
  return new FakeFleet(nodes);
}

function peak(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const events = intervals
    .flatMap(
      (i) =>
        [
          [i.start, 1],
          [i.end, -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (now += delta));
  return max;
}

const options = (lines: string[] = [], concurrency = 2) => ({
  concurrency,
  pollIntervalMs: 10,
  maxChecks: 5,
  maxNoResponse: 5,
  log: (l: string) => void lines.push(l),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  now: () => Date.now(),
});

const initialOf = (f: FakeFleet) =>
  new Map([...f.nodes].map(([h, n]) => [h, { applying: n.applying, enabled: n.enabled, lastrun: n.lastrun }]));

describe('judging a run', () => {
  it('tells applying, finished and not yet started apart with initiated_at', () => {
    expect(judge({ applying: true, enabled: true, lastrun: 0 }, 100)).toBe('applying');
    expect(judge({ applying: false, enabled: true, lastrun: 100 }, 100)).toBe('finished');
    expect(judge({ applying: false, enabled: true, lastrun: 99 }, 100)).toBe('waiting');
  });
});

describe('runAll', () => {
  it('runs every host, never more than the concurrency at once, and logs progress', async () => {
    const f = fleet(12, (i) => ({ runMs: 20 + (i % 4) * 15 }));
    const lines: string[] = [];
    const outcomes = await runAll([...f.nodes.keys()], initialOf(f), f, options(lines, 3));
    expect(outcomes.map((o) => o.result)).toEqual(new Array(12).fill('finished'));
    expect(f.intervals).toHaveLength(12);
    expect(peak(f.intervals)).toBe(3);
    expect(lines.filter((l) => l.includes('schedule status: Started a Puppet run'))).toHaveLength(12);
    expect(lines).toContain('Iteration complete. Initiated a Puppet run on 12 nodes.');
    expect(lines.some((l) => /completed its Puppet run; 12 of 12 done, 0 running, 0 waiting/.test(l))).toBe(true);
  });

  it('moves on from a fast node without waiting for a slow one', async () => {
    const f = fleet(6, (i) => (i === 1 ? { runMs: 600, statusLatencyMs: 150 } : { runMs: 20 }));
    const outcomes = await runAll([...f.nodes.keys()], initialOf(f), f, options([], 2));
    const slowEnd = outcomes.find((o) => o.host === 'node1')!.doneAt;
    const others = outcomes.filter((o) => o.host !== 'node1');
    expect(others).toHaveLength(5);
    for (const o of others) expect(o.doneAt).toBeLessThan(slowEnd);
    expect(peak(f.intervals)).toBeLessThanOrEqual(2);
  });

  it('counts runs nodes started on their own, then runs those nodes too', async () => {
    const f = fleet(3);
    f.ownRun('node2', 150);
    const started = Date.now();
    const outcomes = await runAll([...f.nodes.keys()], initialOf(f), f, options([], 1));
    expect(outcomes.map((o) => o.result)).toEqual(['finished', 'finished', 'finished']);
    // Concurrency 1: nothing else ran during node2's own run.
    const own = f.intervals.find((i) => i.host === 'node2')!;
    expect(own.start).toBeLessThanOrEqual(started);
    for (const i of f.intervals.filter((x) => x !== own)) expect(i.start).toBeGreaterThanOrEqual(own.end);
    expect(f.intervals.filter((i) => i.host === 'node2')).toHaveLength(2);
    expect(peak(f.intervals)).toBe(1);
  });

  it('skips silent, refusing and never-starting hosts after bounded checks, and finishes the rest', async () => {
    const f = fleet(6, (i) =>
      i === 1
        ? { silentAfterTrigger: true }
        : i === 2
          ? { neverStarts: true }
          : i === 3
            ? { enabled: false }
            : i === 4
              ? { ignoresRunonce: true }
              : {},
    );
    const lines: string[] = [];
    const outcomes = await runAll([...f.nodes.keys()], initialOf(f), f, options(lines, 2));
    const result = Object.fromEntries(outcomes.map((o) => [o.host, o.result]));
    expect(result).toEqual({
      node1: 'unresponsive',
      node2: 'not_started',
      node3: 'refused',
      node4: 'no_response',
      node5: 'finished',
      node6: 'finished',
    });
    expect(lines).toContain('Host node1 failed to respond multiple times. Skipping.');
    expect(lines).toContain('Host node2 did not move into an applying state. Skipping.');
    expect(lines.filter((l) => l === 'Host node1 did not respond to the status action.')).toHaveLength(5);
    expect(lines).toContain("node3 schedule status: Puppet is disabled: 'maintenance'");
  });

  it('waits out a node that began applying since the scan, then asks it again', async () => {
    const f = fleet(1);
    const initial = initialOf(f);
    f.ownRun('node1', 60);
    const outcomes = await runAll(['node1'], initial, f, options([], 1));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.result).toBe('finished');
    expect(f.intervals).toHaveLength(2);
  });
});

describe('StatusPoller', () => {
  it('asks for the hosts of one tick in a single request and answers each as it arrives', async () => {
    const f = fleet(3, (i) => ({ statusLatencyMs: i === 3 ? 200 : 1 }));
    const poller = new StatusPoller(f);
    const answered: string[] = [];
    await Promise.all(['node1', 'node2', 'node3'].map((h) => poller.get(h).then(() => answered.push(h))));
    expect(f.statusRequests).toBe(1);
    expect(answered[2]).toBe('node3');
  });
});
