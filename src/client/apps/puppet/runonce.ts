// mco puppet runonce: ask the nodes for one run each. With --wait, follow every started run to its end and
// judge it from the node's last run summary, so a CI job learns which nodes failed.
import { emptyFilter } from '../../../filter/index.js';
import { textOf } from '../../render/inspect.js';
import { EXIT } from '../../exit-codes.js';
import type { RequestOutcome } from '../../request.js';
import type { ClientSession } from '../../session.js';
import type { OnEvent } from '../events.js';
import { requestReport, type RequestReport } from '../output.js';
import { requestSent, type NoNodes, type RequestSent } from '../shared.js';
import { eventLog, sleep } from './log.js';
import { isNoNodes, puppetRequest, type PuppetContext } from './request.js';
import { rpcRunsClient } from './rpc-runs.js';
import { followRun, StatusPoller, type RunExit, type RunOutcome, type RunsClient } from './runs.js';
import type { PuppetEvent } from './index.js';

export interface WaitedRun {
  sender: string;
  /** The node accepted the request and its run completed without failures (and at the asked revision). */
  ok: boolean;
  result: RunOutcome['result'] | 'failed';
  message: string;
  initiated_at?: number;
  failed_resources?: number;
  changed_resources?: number;
  config_version?: string;
}

/** runonce --wait: the request, then how every run it started went. */
export interface RunonceWaited {
  kind: 'runonce_wait';
  request: RequestReport;
  /** Every node asked, sorted: its run's result, or why there was none. */
  runs: WaitedRun[];
  /** The nodes whose run did not complete successfully. */
  failed: string[];
  exitCode: number;
}

export type RunonceOutcome = RequestReport | RunonceWaited | NoNodes | RequestSent;

export async function runonceCommand(
  session: ClientSession,
  ctx: PuppetContext,
  data: Record<string, unknown>,
  waitTimeoutMs: number | undefined,
  onEvent: OnEvent<PuppetEvent>,
): Promise<RunonceOutcome> {
  const outcome = await puppetRequest(session, ctx, 'runonce', data, onEvent);
  if (isNoNodes(outcome)) return outcome;
  if (ctx.send.noResults) return requestSent(outcome.results.requestId);
  const request = requestReport(session.ddls.find('puppet'), 'puppet', 'runonce', outcome, false);
  if (waitTimeoutMs === undefined) return request;
  onEvent({ type: 'runs_started', request });
  const runs = await waitForRuns(session, ctx, outcome, data, waitTimeoutMs, eventLog(onEvent));
  const failed = runs.filter((r) => !r.ok).map((r) => r.sender);
  const exitCode = outcome.exitCode === EXIT.OK && failed.length > 0 ? EXIT.SOME_FAILED : outcome.exitCode;
  return { kind: 'runonce_wait', request, runs, failed, exitCode };
}

/**
 * Judges a finished run from its last_run_summary reply data, with Puppet's error line when it failed; a no-op run
 * (asked for, or one the node's report says was a no-op, as Puppet's noop setting makes it) says what it would
 * have changed.
 */
export function judgeSummary(data: Record<string, unknown>, revision?: string, asked = false): { ok: boolean; message: string } {
  const noop = asked || data.last_run_noop === true;
  const failed = Number(data.failed_resources);
  const version = textOf(data.config_version);
  const error = textOf(data.last_run_error);
  const because = (message: string) => ({
    ok: false,
    message: error && !error.startsWith(message) ? `${message}: ${error}` : error || message,
  });
  if (failed > 0) return because(`${failed} resource(s) failed`);
  if (version === '' || version === 'unknown') return because('The run did not apply a catalog');
  if (data.last_run_failed === true) return because('The run failed');
  const verb = noop ? 'Previewed' : 'Applied';
  if (revision !== undefined && version !== revision) return { ok: false, message: `${verb} config version ${version}, not ${revision}` };
  if (!noop) return { ok: true, message: `Applied config version ${version}` };
  // Puppet counts the resources a no-op run found out of sync: what a real run would change.
  const n = Number(data.out_of_sync_resources) || 0;
  return { ok: true, message: `noop: would change ${n} resource${n === 1 ? '' : 's'} (config version ${version}); nothing applied` };
}

/** A run whose process ended before Puppet recorded any run: its exit code and Puppet's own error. */
export function judgeExit(exit: RunExit): { ok: boolean; message: string } {
  const how = exit.exitCode >= 0 ? `Puppet exited with ${exit.exitCode} without recording a run` : 'The run ended without recording a run';
  return { ok: false, message: exit.error ? `${how}: ${exit.error}` : how };
}

async function waitForRuns(
  session: ClientSession,
  ctx: PuppetContext,
  outcome: RequestOutcome,
  data: Record<string, unknown>,
  waitTimeoutMs: number,
  log: (line: string) => void,
): Promise<WaitedRun[]> {
  const client: RunsClient = rpcRunsClient(session, {
    collective: ctx.target.collective,
    statusTimeoutMs: 10_000,
    runonceTimeoutMs: 0,
    ttl: ctx.send.ttl,
    runonceData: {},
  });
  const poller = new StatusPoller(client);
  const deadline = Date.now() + waitTimeoutMs;
  const started = outcome.results.ok();
  log(`Waiting for ${started.length} run(s) to finish`);
  // Until the deadline, a run may sit in its splay for as long as it likes.
  const follow = { pollIntervalMs: 1000, maxChecks: Infinity, maxNoResponse: 5, deadline, log, sleep, now: () => Date.now() };
  const followed = await Promise.all(
    started.map((r) =>
      followRun(r.sender, Number(r.data.initiated_at) || 0, outcome.results.startedAt, poller, follow).then((o) => {
        if (o.result === 'finished')
          log(
            o.exit && o.exit.exitCode !== 0
              ? `${o.host}: its Puppet run exited with ${o.exit.exitCode}`
              : `${o.host} completed its Puppet run`,
          );
        return o;
      }),
    ),
  );
  const finished = followed.filter((o) => o.result === 'finished').map((o) => o.host);
  const summaries = new Map<string, Record<string, unknown>>();
  if (finished.length > 0) {
    const res = await (
      await session.client()
    ).call({
      agent: 'puppet',
      action: 'last_run_summary',
      data: {},
      filter: emptyFilter(),
      collective: ctx.target.collective,
      targets: finished,
      direct: true,
      timeoutMs: 10_000,
      ttl: ctx.send.ttl,
    });
    for (const r of res.ok()) summaries.set(r.sender, r.data);
  }
  const runs: WaitedRun[] = [];
  for (const r of outcome.results.all()) {
    if (r.statuscode !== 0) {
      runs.push({ sender: r.sender, ok: false, result: 'refused', message: r.statusmsg });
      continue;
    }
    const o = followed.find((f) => f.host === r.sender)!;
    if (o.result !== 'finished') {
      runs.push({ sender: r.sender, ok: false, result: o.result, message: o.message, initiated_at: o.initiatedAt });
      continue;
    }
    const summary = summaries.get(r.sender);
    // The run's process ended and Puppet recorded nothing since it was asked for (no certificate, no server…).
    if (o.exit && (!summary || Number(summary.lastrun) < (o.initiatedAt ?? 0))) {
      const verdict = judgeExit(o.exit);
      runs.push({ sender: r.sender, ok: false, result: 'failed', message: verdict.message, initiated_at: o.initiatedAt });
      continue;
    }
    if (!summary) {
      runs.push({
        sender: r.sender,
        ok: false,
        result: 'unresponsive',
        message: 'Did not return its last run summary',
        initiated_at: o.initiatedAt,
      });
      continue;
    }
    // Masterless nodes answer with the commit they resolved the requested revision to.
    const asked = typeof r.data.revision === 'string' && r.data.revision !== '' ? r.data.revision : undefined;
    // A node says its run is a no-op when its Puppet is set to noop, even if the request did not ask for one.
    const verdict = judgeSummary(summary, asked, data.noop === true || r.data.noop === true);
    runs.push({
      sender: r.sender,
      ok: verdict.ok,
      result: verdict.ok ? 'finished' : 'failed',
      message: verdict.message,
      initiated_at: o.initiatedAt,
      failed_resources: Number(summary.failed_resources),
      changed_resources: Number(summary.changed_resources),
      config_version: textOf(summary.config_version),
    });
  }
  for (const missing of outcome.stats.noResponse)
    runs.push({ sender: missing, ok: false, result: 'no_response', message: 'Did not respond to the runonce action' });
  return runs.sort((a, b) => a.sender.localeCompare(b.sender));
}
