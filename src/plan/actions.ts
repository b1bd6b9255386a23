// What a node step does to one batch of nodes, and how each node fared: rpc calls, puppet runs, and polls that
// wait for an assertion to hold. Built on the RPC client and the puppet requests; nothing here prints.
import type { AgentDDL } from '../ddl/index.js';
import { validateInputs } from '../ddl/index.js';
import { emptyFilter } from '../filter/index.js';
import { DISCOVERY_AGENT } from '../protocol/index.js';
import { judgeSummary } from '../client/apps/puppet/runonce.js';
import { rpcRunsClient } from '../client/apps/puppet/rpc-runs.js';
import { followRun, StatusPoller } from '../client/apps/puppet/runs.js';
import type { Reply } from '../client/results.js';
import { sleep } from '../client/rpc-client.js';
import type { ClientSession } from '../client/session.js';
import { compileAssertion } from './assertion.js';
import { PlanError } from './errors.js';
import type { CallSpec, CheckSpec } from './model.js';
import type { NodeOutcome } from './store.js';

export interface NodeResult {
  identity: string;
  outcome: NodeOutcome;
  statuscode?: number;
  statusmsg?: string;
}

export interface ActionContext {
  session: ClientSession;
  collective: string;
  ttl: number;
  signal: AbortSignal;
}

/** The agent's DDL and the action, or a clear error before anything is sent. */
export function ddlFor(session: ClientSession, agent: string, action: string, where: string): AgentDDL {
  const ddl = session.ddls.find(agent);
  if (!ddl) throw new PlanError('plan_step', `${where}: unknown agent '${agent}'`, "'mco plugin doc' lists the agents this client knows");
  if (!ddl.actions[action]) {
    throw new PlanError(
      'plan_step',
      `${where}: agent '${agent}' has no action '${action}' (actions: ${Object.keys(ddl.actions).sort().join(', ')})`,
    );
  }
  return ddl;
}

/** DDL checks of a call's inputs, as `mco rpc` makes them: refused here, not by every node. */
export function checkCall(session: ClientSession, call: CallSpec, where: string): AgentDDL {
  const ddl = ddlFor(session, call.agent, call.action, where);
  const checked = validateInputs(ddl, call.action, call.inputs ?? {});
  if (!checked.ok)
    throw new PlanError('plan_step', `${where}: ${call.agent}#${call.action}: ${checked.message}`, `see 'mco plugin doc ${call.agent}'`);
  return ddl;
}

function timeoutOf(session: ClientSession, ddl: AgentDDL, call: CallSpec): number {
  return call.timeout !== undefined ? call.timeout * 1000 : ddl.metadata.timeout * 1000 + session.defaults.discoveryTimeoutMs;
}

async function callNodes(ctx: ActionContext, call: CallSpec, ddl: AgentDDL, nodes: readonly string[]): Promise<Map<string, Reply>> {
  const client = await ctx.session.client();
  const results = await client.call({
    agent: call.agent,
    action: call.action,
    data: call.inputs ?? {},
    filter: emptyFilter(),
    collective: ctx.collective,
    targets: nodes,
    direct: true,
    timeoutMs: timeoutOf(ctx.session, ddl, call),
    ttl: ctx.ttl,
    signal: ctx.signal,
  });
  const wanted = new Set(nodes);
  return new Map(
    results
      .all()
      .filter((r) => wanted.has(r.sender))
      .map((r) => [r.sender, r]),
  );
}

function judged(
  identity: string,
  reply: Reply | undefined,
  assert?: { text: string; test: (d: Record<string, unknown>) => boolean },
): NodeResult {
  if (!reply) return { identity, outcome: 'silent', statusmsg: 'no reply' };
  if (reply.statuscode !== 0) return { identity, outcome: 'failed', statuscode: reply.statuscode, statusmsg: reply.statusmsg };
  if (assert && !assert.test(reply.data))
    return { identity, outcome: 'failed', statuscode: 0, statusmsg: `assertion '${assert.text}' does not hold` };
  return { identity, outcome: 'ok', statuscode: 0, statusmsg: reply.statusmsg };
}

/** One request to every node of the batch; a node whose reply fails `assert` failed. */
export async function rpcBatch(
  ctx: ActionContext,
  call: CallSpec & { assert?: string },
  nodes: readonly string[],
  where: string,
): Promise<NodeResult[]> {
  const ddl = checkCall(ctx.session, call, where);
  const assert = call.assert ? { text: call.assert, test: compileAssertion(call.assert) } : undefined;
  const replies = await callNodes(ctx, call, ddl, nodes);
  return nodes.map((n) => judged(n, replies.get(n), assert));
}

/**
 * Polls the action until the assertion holds on every node (`tries` times, `sleep` seconds apart). Nodes that
 * pass leave the poll; the rest failed, or are silent when they did not answer the last try.
 */
export async function waitForBatch(ctx: ActionContext, check: CheckSpec, nodes: readonly string[], where: string): Promise<NodeResult[]> {
  const ddl = checkCall(ctx.session, check, where);
  const assert = { text: check.assert, test: compileAssertion(check.assert) };
  const tries = check.tries ?? 1;
  const done = new Map<string, NodeResult>();
  let pending = [...nodes];
  for (let attempt = 1; pending.length > 0 && attempt <= tries && !ctx.signal.aborted; attempt++) {
    const replies = await callNodes(ctx, check, ddl, pending);
    const still: string[] = [];
    for (const n of pending) {
      const r = judged(n, replies.get(n), assert);
      if (r.outcome === 'ok' || attempt === tries)
        done.set(n, attempt === tries && r.outcome === 'failed' ? { ...r, statusmsg: `${r.statusmsg} after ${tries} tries` } : r);
      else still.push(n);
    }
    pending = still;
    if (pending.length > 0 && attempt < tries) await sleep((check.sleep ?? 1) * 1000, ctx.signal);
  }
  for (const n of pending) done.set(n, { identity: n, outcome: 'failed', statusmsg: 'stopped before the assertion held' });
  return nodes.map((n) => done.get(n)!);
}

export interface PuppetRun {
  revision?: string;
  noop?: boolean;
  force?: boolean;
  tags?: string;
  environment?: string;
  /** Seconds to wait for the runs to finish; absent, a node is ok once it accepted the request. */
  wait?: number;
}

/**
 * `puppet#runonce` on the batch; with `wait`, each started run is followed to its end and judged from the node's
 * last run summary (no failed resources, a catalog applied, at the asked revision).
 */
export async function puppetBatch(ctx: ActionContext, run: PuppetRun, nodes: readonly string[], where: string): Promise<NodeResult[]> {
  const data: Record<string, unknown> = {};
  for (const key of ['revision', 'noop', 'force', 'tags', 'environment'] as const) if (run[key] !== undefined) data[key] = run[key];
  const call = { agent: 'puppet', action: 'runonce', inputs: data };
  const ddl = checkCall(ctx.session, call, where);
  const asked = Date.now();
  const replies = await callNodes(ctx, call, ddl, nodes);
  const results = new Map(nodes.map((n) => [n, judged(n, replies.get(n))]));
  if (run.wait === undefined) return nodes.map((n) => results.get(n)!);
  const started = [...results.values()].filter((r) => r.outcome === 'ok').map((r) => r.identity);
  const runs = rpcRunsClient(ctx.session, {
    collective: ctx.collective,
    statusTimeoutMs: 10_000,
    runonceTimeoutMs: 0,
    ttl: ctx.ttl,
    runonceData: {},
  });
  const poller = new StatusPoller(runs);
  const follow = {
    pollIntervalMs: 1000,
    maxChecks: Infinity,
    maxNoResponse: 5,
    deadline: asked + run.wait * 1000,
    log: () => undefined,
    sleep: (ms: number) => sleep(ms, ctx.signal),
    now: () => Date.now(),
  };
  const followed = await Promise.all(
    started.map((n) => followRun(n, Number(replies.get(n)!.data.initiated_at) || 0, asked, poller, follow)),
  );
  const finished = followed.filter((o) => o.result === 'finished').map((o) => o.host);
  for (const o of followed) {
    if (o.result !== 'finished')
      results.set(o.host, {
        identity: o.host,
        outcome: o.result === 'unresponsive' ? 'silent' : 'failed',
        statusmsg: `${o.result}: ${o.message}`,
      });
  }
  if (finished.length > 0) {
    const summaryCall = { agent: 'puppet', action: 'last_run_summary', inputs: {}, timeout: 10 };
    const summaries = await callNodes(ctx, summaryCall, ddlFor(ctx.session, 'puppet', 'last_run_summary', where), finished);
    for (const n of finished) {
      const s = summaries.get(n);
      if (!s || s.statuscode !== 0) {
        results.set(n, { identity: n, outcome: s ? 'failed' : 'silent', statusmsg: s?.statusmsg ?? 'did not return its last run summary' });
        continue;
      }
      // Masterless nodes answer runonce with the commit they resolved the revision to.
      const resolved = replies.get(n)!.data.revision;
      const noop = run.noop === true || replies.get(n)!.data.noop === true;
      const verdict = judgeSummary(s.data, typeof resolved === 'string' && resolved !== '' ? resolved : undefined, noop);
      results.set(n, { identity: n, outcome: verdict.ok ? 'ok' : 'failed', statuscode: 0, statusmsg: verdict.message });
    }
  }
  return nodes.map((n) => results.get(n)!);
}

/** Every node must answer a discovery ping (`test: ping`), directly addressed. */
export async function pingNodes(ctx: ActionContext, nodes: readonly string[]): Promise<string[]> {
  if (nodes.length === 0) return [];
  const client = await ctx.session.client();
  const results = await client.call({
    agent: DISCOVERY_AGENT,
    action: 'ping',
    data: {},
    filter: emptyFilter(),
    collective: ctx.collective,
    targets: nodes,
    direct: true,
    timeoutMs: ctx.session.defaults.discoveryTimeoutMs,
    ttl: ctx.ttl,
    signal: ctx.signal,
  });
  return results.noResponse();
}
