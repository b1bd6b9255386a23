// runall with concurrency 2 over 6 masterless nodes running real `puppet apply`. Each catalog records when it
// began and ended applying (exec resources writing the time), and troupe's runner logs when `puppet apply`
// started and exited: both sets of the runs' own timestamps must never show more than 2 runs at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { gitRemote, masterlessNodes, requirePuppet, PuppetFleet, type PuppetNode } from './nodes.js';
import { parseAs } from '../../helpers/json.js';
import { type PuppetRunsJson } from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let nodes: PuppetNode[];
const scratch = scratchDir('troupe-puppet-runall-');

const STAMPED = `
$stamps = "\${settings::vardir}/stamps"
exec { 'stamp-start': command => "/bin/sh -c 'date +%s%N >> \${stamps}'" }
exec { 'work': command => '/bin/sleep 1', require => Exec['stamp-start'] }
exec { 'stamp-end': command => "/bin/sh -c 'date +%s%N >> \${stamps}'", require => Exec['work'] }
`;

beforeAll(async () => {
  requirePuppet();
  const repo = gitRemote(scratch.dir);
  repo.commit('main', { 'manifests/site.pp': STAMPED }, 'stamped');
  nodes = masterlessNodes(
    scratch.dir,
    repo.remote,
    Array.from({ length: 6 }, (_, i) => `db${i + 1}.example.net`),
  );
  await fleet.start(scratch.dir, nodes);
  client = fleet.client;
});

afterAll(async () => {
  await fleet.stop();
  scratch.cleanup();
});

type Interval = { node: string; start: number; end: number };

function peak(intervals: readonly Interval[]): number {
  const events = intervals
    .flatMap(
      (i) =>
        [
          [i.start, 1],
          [i.end, -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (running += delta));
  return max;
}

/** When each catalog began and finished applying, as its exec resources recorded it (ns → ms). */
function catalogWindows(): Interval[] {
  return nodes.map((n) => {
    const [start, end, ...more] = readFileSync(join(n.vardir, 'stamps'), 'utf8')
      .trim()
      .split('\n')
      .map((ns) => Number(BigInt(ns) / 1_000_000n));
    expect(more, `${n.identity} applied more than once`).toEqual([]);
    return { node: n.identity, start: start!, end: end! };
  });
}

/** When each `puppet apply` process started and exited, from troupe's runner log. */
function processWindows(): Interval[] {
  return nodes.map((n) => {
    const log = readFileSync(n.runLog, 'utf8');
    const at = (what: RegExp) => Date.parse(new RegExp(`^(\\S+) ${what.source}`, 'm').exec(log)![1]!);
    return { node: n.identity, start: at(/Running puppet apply/), end: at(/puppet apply exited with 0/) };
  });
}

describe('mco puppet runall', () => {
  it('runs all 6 nodes with never more than 2 runs at once', async () => {
    const r = await runMco(['puppet', 'runall', '2', '--json', '-c', client], { timeoutMs: 180_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = parseAs<PuppetRunsJson>(r.stdout);
    expect(report).toMatchObject({ concurrency: 2, discovered: 6, ok: true, disabled: [], no_status: [] });
    expect(report.runs.map((x) => x.result)).toEqual(new Array(6).fill('finished'));
    expect(report.runs.map((x) => x.host as string).sort()).toEqual(nodes.map((n) => n.identity));

    const catalogs = catalogWindows();
    const processes = processWindows();
    for (const w of [...catalogs, ...processes]) expect(w.end).toBeGreaterThan(w.start);
    expect(peak(catalogs)).toBeLessThanOrEqual(2);
    expect(peak(processes)).toBe(2);

    // Progress as the anchors log it, on stderr beside the JSON document.
    expect(r.stderr).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: Running all nodes with a concurrency of 2$/m);
    expect(r.stderr).toContain('Found 6 enabled node(s)');
    expect(r.stderr.match(/schedule status: Started a Puppet run using the 'puppet apply/g)).toHaveLength(6);
    expect(r.stderr).toMatch(/completed its Puppet run; 6 of 6 done, 0 running, 0 waiting/);
    expect(r.stderr).toContain('Iteration complete. Initiated a Puppet run on 6 nodes.');
  }, 180_000);
});
