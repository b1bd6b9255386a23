// A rollout plan's overhead: 10 batches of `rpcutil#ping` over the whole fleet, as `mco plan run` (node set
// discovery, batches, budgets, every node outcome written to JetStream) and as the same batched request sent by
// hand (`mco rpc rpcutil ping --batch 10% --batch-sleep 0`). Both are whole processes, timed spawn to exit, in turns.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMco, type McoRun } from './lib/processes.js';

export interface PlanBenchRun {
  planMs: number[];
  handMs: number[];
  planReplies: number;
  handReplies: number;
  planRssMB: number;
  handRssMB: number;
}

function must(run: McoRun, what: string): McoRun {
  if (run.code !== 0) {
    const said = run.stderr.replace(/troupe-maxrss-kb=\d+/, '').trim() || run.stdout.trim();
    throw new Error(`${what} exited ${run.code}: ${said.split('\n').slice(-3).join(' | ')}`);
  }
  return run;
}

/** Runs both `repeat` times over the fleet behind `configFile`, which must reach `n` nodes on a JetStream broker. */
export async function planBench(dir: string, configFile: string, n: number, batches: number, repeat: number): Promise<PlanBenchRun> {
  const pct = `${Math.ceil(100 / batches)}%`;
  const plan = join(dir, 'bench-plan.yaml');
  writeFileSync(
    plan,
    [
      'name: bench',
      'nodes:',
      '  all: {}',
      'steps:',
      '  - name: ping',
      '    nodes: all',
      '    rpc: { agent: rpcutil, action: ping }',
      `    batch: { size: "${pct}" }`,
      '',
    ].join('\n'),
  );
  const out: PlanBenchRun = { planMs: [], handMs: [], planReplies: 0, handReplies: 0, planRssMB: 0, handRssMB: 0 };
  for (let i = 0; i < repeat; i++) {
    const p = must(await runMco(['plan', 'run', plan, '--json', '-c', configFile]), 'mco plan run');
    const outcome = JSON.parse(p.stdout) as { steps: Array<{ result?: { ok: number } }> };
    out.planMs.push(p.wallMs);
    out.planReplies = outcome.steps[0]?.result?.ok ?? 0;
    out.planRssMB = Math.max(out.planRssMB, p.maxRssMB);
    const h = must(
      await runMco(['rpc', 'rpcutil', 'ping', '--batch', pct, '--batch-sleep', '0', '--json', '--np', '-c', configFile]),
      'mco rpc --batch',
    );
    out.handMs.push(h.wallMs);
    out.handReplies = (JSON.parse(h.stdout) as { replies: unknown[] }).replies.length;
    out.handRssMB = Math.max(out.handRssMB, h.maxRssMB);
  }
  return out;
}
