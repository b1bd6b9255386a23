// mco puppet runall N [--rerun S]: a run on every enabled node, at most N at a time, logging as it goes.
import { EXIT } from '../../exit-codes.js';
import { UsageError } from '../../errors.js';
import { discover, sendRequest } from '../../request.js';
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import { noNodes, type NoNodes } from '../shared.js';
import { eventLog, sleep } from './log.js';
import { checkInputs, puppetDDL, replyTimeoutMs, type PuppetContext } from './request.js';
import { rpcRunsClient, statusOf } from './rpc-runs.js';
import { runAll, type NodeStatus, type RunOutcome } from './runs.js';
import type { PuppetEvent } from './index.js';

export interface RunallReport {
  concurrency: number;
  discovered: number;
  enabled: string[];
  disabled: string[];
  /** Discovered nodes that did not answer the first status request. */
  no_status: string[];
  runs: RunOutcome[];
  started_at: string;
  finished_at: string;
  ok: boolean;
}

/** One pass over the fleet: its report, or NoNodes when discovery found none. */
export type RunallOutcome = { kind: 'runall'; report: RunallReport; exitCode: number } | NoNodes;

/** How often a running node is asked for its status, and how many answers or silences it gets. */
export const RUNALL_POLL = { pollIntervalMs: 1000, maxChecks: 5, maxNoResponse: 5 };

async function onePass(
  session: ClientSession,
  ctx: PuppetContext,
  concurrency: number,
  data: Record<string, unknown>,
  log: (l: string) => void,
): Promise<RunallOutcome> {
  const ddl = puppetDDL(session);
  const startedAt = new Date();
  log(`Running all nodes with a concurrency of ${concurrency}`);
  log('Discovering enabled Puppet nodes to manage');
  const discovered = await discover(session, ctx.target);
  if (discovered.nodes.length === 0) return noNodes();
  const scan = await sendRequest(
    session,
    ctx.target,
    discovered,
    'puppet',
    'status',
    {},
    { ...ctx.send, timeoutMs: replyTimeoutMs(ddl, ctx) },
  );
  const initial = new Map<string, NodeStatus>();
  for (const r of scan.results.ok()) initial.set(r.sender, statusOf(r.data));
  const enabled = [...initial]
    .filter(([, s]) => s.enabled)
    .map(([h]) => h)
    .sort();
  const disabled = [...initial]
    .filter(([, s]) => !s.enabled)
    .map(([h]) => h)
    .sort();
  const silent = [...scan.stats.noResponse, ...scan.results.failed().map((r) => r.sender)].sort();
  log(`Found ${enabled.length} enabled node(s)`);
  if (disabled.length > 0) log(`Skipping ${disabled.length} disabled node(s): ${disabled.join(', ')}`);
  if (silent.length > 0) log(`Skipping ${silent.length} node(s) that did not report their status: ${silent.join(', ')}`);
  const client = rpcRunsClient(session, {
    collective: ctx.target.collective,
    statusTimeoutMs: Math.min(10_000, replyTimeoutMs(ddl, ctx)),
    runonceTimeoutMs: ddl.metadata.timeout * 1000 + 2000,
    ttl: ctx.send.ttl,
    runonceData: data,
  });
  const runs = await runAll(enabled, initial, client, { concurrency, ...RUNALL_POLL, log, sleep, now: () => Date.now() });
  const report: RunallReport = {
    concurrency,
    discovered: discovered.nodes.length,
    enabled,
    disabled,
    no_status: silent,
    runs,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ok: silent.length === 0 && runs.every((r) => r.result === 'finished'),
  };
  return { kind: 'runall', report, exitCode: runallExitCode(report) };
}

/** As the core client's codes: 3 when no discovered node reported its status, 2 when any run did not complete. */
export function runallExitCode(report: Pick<RunallReport, 'ok' | 'enabled' | 'disabled'>): number {
  if (report.enabled.length + report.disabled.length === 0) return EXIT.NO_RESPONSES;
  return report.ok ? EXIT.OK : EXIT.SOME_FAILED;
}

/**
 * One pass, or with `rerunS` a pass every `rerunS` seconds at the least, for ever: each pass's outcome is then
 * reported as a `runall_pass` event, and a pass that fails is logged and followed by the next.
 */
export async function runallCommand(
  session: ClientSession,
  ctx: PuppetContext,
  concurrency: number,
  data: Record<string, unknown>,
  rerunS: number | undefined,
  onEvent: OnEvent<PuppetEvent>,
): Promise<RunallOutcome> {
  if (ctx.send.noResults) throw new UsageError('runall follows every run and cannot be used with --no-results');
  checkInputs(puppetDDL(session), 'runonce', data);
  const log = eventLog(onEvent);
  if (rerunS === undefined) return onePass(session, ctx, concurrency, data, log);
  for (;;) {
    const began = Date.now();
    try {
      onEvent({ type: 'runall_pass', pass: await onePass(session, ctx, concurrency, data, log) });
    } catch (err) {
      log(`Running nodes failed: ${(err as Error).message}`);
    }
    const took = Math.round((Date.now() - began) / 1000);
    if (took < rerunS) {
      log(
        `Running all hosts took ${took} seconds; sleeping for ${rerunS - took} seconds due to minimum run time configuration of ${rerunS} seconds`,
      );
      await sleep((rerunS - took) * 1000);
    } else {
      log(`Running all hosts took ${took} seconds; starting again immediately due to minimum run time configuration of ${rerunS} seconds`);
    }
  }
}
