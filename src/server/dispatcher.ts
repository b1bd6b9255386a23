// The request pipeline, one small stage each:
//   size → decode + schema → authenticate, age, replay check → collective → filter → agent → authorise → DDL →
//   record the id against replays → action → reply.
// Every rejection is counted under its reason and logged once; nothing thrown inside a stage escapes dispatch().
import type { Logger } from 'pino';
import { TroupeError } from '../errors.js';
import { ActionFailed, type ActionResult, type AgentContext, type AgentPlugin, type NodeInfo } from './agent.js';
import type { ServerStats } from './stats.js';
import { directDecoder, type RequestDecoder } from './decoder.js';
import { RejectionLog } from './rejection-log.js';
import { compileFilter, type DataLookup, type NodeView } from '../filter/index.js';
import { DataQueries, type DataPlugin } from './data.js';
import { applyOutputDefaults, validateInputs } from '../ddl/index.js';
import {
  PROTOCOL,
  ProtocolError,
  StatusCode,
  buildReplyFrame,
  encodeFrame,
  type ReplyEnvelope,
  type RequestEnvelope,
  type RpcReplyBody,
} from '../protocol/index.js';
import { SecurityError, type AuditEntry, type SecurityProvider } from '../security/index.js';

/** Decides whether a caller may run an action; the default lets everyone through. */
export interface Authorizer {
  authorize(request: RequestEnvelope, caller: string, node: NodeView): { allowed: true } | { allowed: false; reason: string };
}

export const allowAll: Authorizer = { authorize: () => ({ allowed: true }) };

/** One request a node received: who asked what, what the node decided, and how it ended (the audit log's format). */
export type AuditEvent = AuditEntry;

/** Receives one event per request that reached this node (requests for other nodes are not recorded). */
export interface Auditor {
  record(event: AuditEvent): void;
}

/** What execute() decided and the reply body it produced. */
interface Verdict {
  decision: AuditEvent['decision'];
  reason?: string;
  body: RpcReplyBody;
}

export interface DispatcherOptions {
  node: NodeInfo;
  agents: ReadonlyMap<string, AgentPlugin>;
  security: SecurityProvider;
  stats: ServerStats;
  logger: Logger;
  maxMessageSize: number;
  authorizer?: Authorizer;
  auditor?: Auditor;
  /** How request bytes become envelopes; the simulator shares one among its nodes. */
  decoder?: RequestDecoder;
  settingsFor: (agent: string) => Readonly<Record<string, string>>;
  /** The view filters are evaluated against, kept current by the daemon when facts reload. */
  view(): NodeView;
  /** Where rejections are logged, rate-limited per reason; one of its own on `logger` when absent. */
  rejectionLog?: RejectionLog;
  /** Told of every request that reaches the agent stage (the daemon's metrics); absent, nothing is timed. */
  observer?: RequestObserver;
  /** The data plugins -S filters may call (`puppet()`, `fact('…')`), by name; a call to any other matches nothing. */
  dataPlugins?: ReadonlyMap<string, DataPlugin>;
}

/** How a request that passed the filter ended: its reply's status, or refused before its action ran. */
export type RequestOutcome = 'ok' | 'aborted' | 'unknown_action' | 'missing_data' | 'invalid_data' | 'error' | 'denied' | 'rejected';

export interface RequestObserver {
  /** `agent` and `action` are names this node hosts, or `unknown`: a sender cannot make up label values. */
  request(agent: string, action: string, outcome: RequestOutcome, seconds: number): void;
}

const OUTCOME_OF_STATUS: readonly RequestOutcome[] = ['ok', 'aborted', 'unknown_action', 'missing_data', 'invalid_data', 'error'];

type Match = 'match' | 'no_match' | 'bad_filter';

/** What the daemon should send back, and where. */
export interface Outcome {
  replyTo?: string;
  frame?: Uint8Array;
}

/** A request that passed decoding, authentication, collective and age checks. */
interface Accepted {
  request: RequestEnvelope;
  caller: string;
  replyTo?: string;
}

/** Authentic but out of date: counted as validated-then-expired (MCollective's ttlexpired), not unvalidated. */
const AGE_REJECTIONS = new Set(['ttl_expired', 'future_message', 'before_start']);

/** A request refused before it reaches an agent; `code` is the rejection reason counted in the daemon's stats. */
class Rejection extends TroupeError {
  override readonly name = 'Rejection';
  declare readonly code: 'wrong_collective';
  constructor(code: 'wrong_collective', message: string) {
    super(code, message);
  }
}

export class Dispatcher {
  private readonly inflight = new Set<ActionRun>();
  private readonly rejectionLog: RejectionLog;
  private readonly data: DataQueries;

  constructor(private readonly opts: DispatcherOptions) {
    this.rejectionLog = opts.rejectionLog ?? new RejectionLog(opts.logger);
    this.data = new DataQueries({
      plugins: opts.dataPlugins ?? new Map(),
      node: opts.node,
      settingsFor: opts.settingsFor,
      logger: opts.logger,
      // A failing plugin does not reject the request (its terms are false), but it is counted and logged like one.
      onFailure: (reason, message, requestid) => this.countRejection(reason, message, requestid),
    });
  }

  /** Aborts every running action (used when a drain times out). */
  abortAll(): void {
    for (const c of this.inflight) c.abort(new Error('daemon shutting down'));
  }

  /**
   * Decides and answers one message. Runs to the end synchronously when the action answers at once (most do), so a
   * node spends no promise or timer on them; only an action still running makes the result a promise.
   */
  dispatch(bytes: Uint8Array, collective: string, transportReplyTo?: string): Outcome | undefined | Promise<Outcome | undefined> {
    const { stats } = this.opts;
    stats.total++;
    let accepted: Accepted;
    try {
      accepted = this.accept(bytes, collective, transportReplyTo);
    } catch (err) {
      const known = err instanceof Rejection || err instanceof ProtocolError || err instanceof SecurityError;
      const reason = known ? err.code : 'internal';
      // MCollective's "unvalidated": the message never got past decoding and authentication.
      if (
        (err instanceof SecurityError && !AGE_REJECTIONS.has(err.code)) ||
        (err instanceof ProtocolError && ['oversize', 'malformed', 'schema'].includes(err.code))
      )
        stats.unvalidated++;
      this.countRejection(reason, (err as Error).message);
      this.opts.auditor?.record({ identity: this.opts.node.identity, decision: 'rejected', reason });
      return undefined;
    }

    const match = this.matches(accepted.request);
    return isPromise(match) ? match.then((m) => this.matched(accepted, m)) : this.matched(accepted, match);
  }

  private matched(accepted: Accepted, match: Match): Outcome | undefined | Promise<Outcome | undefined> {
    const { stats } = this.opts;
    if (match !== 'match') {
      // A filter the node cannot evaluate was already counted as a rejection; only real non-matches are "filtered".
      if (match === 'no_match') stats.filtered++;
      return undefined;
    }
    stats.passed++;

    const started = this.opts.observer ? performance.now() : 0;
    const verdict = this.execute(accepted.request, accepted.caller);
    return isPromise(verdict) ? verdict.then((v) => this.conclude(accepted, v, started)) : this.conclude(accepted, verdict, started);
  }

  /** Audits the verdict and encodes the reply, when the request asked for one. */
  private conclude({ request, caller, replyTo }: Accepted, verdict: Verdict, started: number): Outcome | undefined {
    this.audit(request, caller, verdict);
    if (this.opts.observer) this.observe(request, verdict, started);
    if (!replyTo) return undefined;
    try {
      const frame = this.encodeReply(request, verdict.body);
      this.opts.stats.replies++;
      return { replyTo, frame };
    } catch (err) {
      this.countRejection('reply_encoding', (err as Error).message, request.id);
      return undefined;
    }
  }

  private observe(request: RequestEnvelope, verdict: Verdict, started: number): void {
    const agent = this.opts.agents.get(request.agent);
    const action = request.message.action;
    const known = agent !== undefined && request.message.agent === request.agent;
    const outcome = verdict.decision === 'allowed' ? (OUTCOME_OF_STATUS[verdict.body.statuscode] ?? 'error') : verdict.decision;
    this.opts.observer!.request(
      known ? request.agent : 'unknown',
      known && Object.hasOwn(agent.ddl.actions, action) ? action : 'unknown',
      outcome,
      (performance.now() - started) / 1000,
    );
  }

  private countRejection(reason: string, message: string, requestid?: string): void {
    const { stats } = this.opts;
    if (reason === 'ttl_expired') stats.ttlexpired++;
    stats.reject(reason);
    this.rejectionLog.warn(reason, message, requestid);
  }

  /** Decoding, authentication, collective and age: everything that must hold before the request is looked at. */
  private accept(bytes: Uint8Array, collective: string, transportReplyTo?: string): Accepted {
    const { stats, security, node } = this.opts;
    const { frame, secure, request } = (this.opts.decoder ?? directDecoder).decode(bytes, this.opts.maxMessageSize);
    const { caller } = security.verifyRequest(secure, request);
    if (request.collective !== collective || !node.collectives.includes(request.collective)) {
      throw new Rejection('wrong_collective', `request for collective '${request.collective}' arrived on '${collective}'`);
    }
    stats.validated++;
    // The connector carries the address publish() was given; the frame's copy serves a sender that gave it none.
    return { request, caller, replyTo: transportReplyTo ?? frame.reply_to };
  }

  /** Synchronous unless the filter calls a data plugin that answers later (puppet(), resource()). */
  private matches(request: RequestEnvelope): Match | Promise<Match> {
    try {
      const predicate = compileFilter(request.filter);
      if (predicate.dataCalls.length === 0) return predicate(this.opts.view()) ? 'match' : 'no_match';
      // Fail closed: a call this node cannot answer as written (a plugin or field it lacks) matches nothing, even under `not`.
      const refusal = this.data.refusal(request.filter);
      if (refusal !== undefined) {
        this.countRejection('unknown_data', refusal, request.id);
        return 'bad_filter';
      }
      const test = (data: DataLookup): Match => (predicate({ ...this.opts.view(), data }) ? 'match' : 'no_match');
      const answers = this.data.answer(predicate.dataCalls, request.id);
      return isPromise(answers) ? answers.then(test, () => 'bad_filter' as const) : test(answers);
    } catch (err) {
      this.countRejection('bad_filter', (err as Error).message, request.id);
      return 'bad_filter';
    }
  }

  private audit(request: RequestEnvelope, caller: string, { decision, reason, body }: Verdict): void {
    const { auditor, node } = this.opts;
    if (!auditor) return;
    const { id: requestid, time: request_time, sender, agent, collective, message } = request;
    const { action, data } = message;
    auditor.record({
      identity: node.identity,
      requestid,
      request_time,
      caller,
      sender,
      agent,
      action,
      collective,
      data,
      decision,
      reason,
      statuscode: body.statuscode,
      statusmsg: body.statusmsg,
    });
  }

  private execute(request: RequestEnvelope, caller: string): Verdict | Promise<Verdict> {
    const { agents, authorizer = allowAll } = this.opts;
    const { agent: agentName, action } = request.message;
    const agent = agents.get(agentName);
    if (!agent || agentName !== request.agent) {
      this.countRejection('unknown_agent', `no agent '${agentName}' on this node`, request.id);
      return { decision: 'rejected', reason: 'unknown_agent', body: failure(StatusCode.UnknownAction, `Unknown agent '${agentName}'`) };
    }
    const decision = authorizer.authorize(request, caller, this.opts.view());
    if (!decision.allowed) {
      this.countRejection('unauthorized', decision.reason, request.id);
      const body = failure(StatusCode.Aborted, `You are not authorized to call this agent or action: ${decision.reason}`);
      return { decision: 'denied', reason: decision.reason, body };
    }
    const checked = validateInputs(agent.ddl, action, request.message.data);
    if (!checked.ok) return { decision: 'allowed', body: failure(checked.statuscode, checked.message) };
    const refused = this.admit(request, caller);
    if (refused) return refused;
    const body = this.runAction(agent, request, caller, checked.data);
    return isPromise(body) ? body.then((b) => ({ decision: 'allowed' as const, body: b })) : { decision: 'allowed', body };
  }

  /**
   * Records the request id just before the action runs: only requests that will run here take replay room, and
   * nothing between this and the action yields, so a replay cannot slip in between.
   */
  private admit(request: RequestEnvelope, caller: string): Verdict | undefined {
    try {
      this.opts.security.admitRequest?.(request, caller);
      return undefined;
    } catch (err) {
      const reason = err instanceof SecurityError ? err.code : 'internal';
      this.countRejection(reason, (err as Error).message, request.id);
      return { decision: 'rejected', reason, body: failure(StatusCode.Aborted, `Request refused: ${(err as Error).message}`) };
    }
  }

  private runAction(
    agent: AgentPlugin,
    request: RequestEnvelope,
    caller: string,
    data: Record<string, unknown>,
  ): RpcReplyBody | Promise<RpcReplyBody> {
    const { action } = request.message;
    const agentName = agent.ddl.metadata.name;
    const run = new ActionRun();
    const ctx = new ActionContext(this.opts.node, this.opts.logger, run, this.opts.settingsFor, agentName);
    let result: ActionResult;
    try {
      result = agent.invoke(
        { agent: request.agent, action, data, caller, requestId: request.id, sender: request.sender, collective: request.collective },
        ctx,
      );
    } catch (err) {
      return this.actionFailed(request, err);
    }
    // An action that answers at once needs no timer: only a pending one is held to the DDL timeout.
    if (!isPromise(result)) return this.succeeded(agent, request, result);
    this.inflight.add(run);
    return this.withTimeout(result, run, request, agent.ddl.metadata.timeout)
      .then(
        (value) => this.succeeded(agent, request, value),
        (err: unknown) => this.actionFailed(request, err),
      )
      .finally(() => this.inflight.delete(run));
  }

  private succeeded(agent: AgentPlugin, request: RequestEnvelope, value: Record<string, unknown>): RpcReplyBody {
    try {
      return { statuscode: StatusCode.OK, statusmsg: 'OK', data: applyOutputDefaults(agent.ddl, request.message.action, value) };
    } catch (err) {
      return this.actionFailed(request, err);
    }
  }

  private actionFailed(request: RequestEnvelope, err: unknown): RpcReplyBody {
    if (err instanceof ActionFailed) return { statuscode: err.statuscode, statusmsg: err.message, data: err.data };
    const { action } = request.message;
    this.opts.logger.error({ requestid: request.id, agent: request.agent, action, err }, 'action raised an unexpected error');
    return failure(StatusCode.UnknownError, `${request.agent}#${action} failed: ${(err as Error)?.message ?? String(err)}`);
  }

  private async withTimeout<T>(pending: Promise<T>, run: ActionRun, request: RequestEnvelope, timeoutS: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        run.abort(new Error('timeout'));
        reject(new ActionFailed(`${request.agent}#${request.message.action} did not complete within ${timeoutS} seconds`, 1));
      }, timeoutS * 1000);
    });
    try {
      return await Promise.race([pending, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private encodeReply(request: RequestEnvelope, body: RpcReplyBody): Uint8Array {
    const envelope: ReplyEnvelope = {
      protocol: PROTOCOL.reply,
      request_id: request.id,
      sender: this.opts.node.identity,
      agent: request.agent,
      action: request.message.action,
      time: Date.now(),
      message: body,
    };
    const secure = this.opts.security.wrapReply(JSON.stringify(envelope));
    return encodeFrame(buildReplyFrame(secure, this.opts.node.identity));
  }
}

/** What an action is lent. Settings and the abort signal are made on first use: most actions read neither. */
class ActionContext implements AgentContext {
  private settingsMemo?: Readonly<Record<string, string>>;

  constructor(
    readonly node: NodeInfo,
    readonly logger: Logger,
    private readonly run: ActionRun,
    private readonly settingsFor: (agent: string) => Readonly<Record<string, string>>,
    private readonly agent: string,
  ) {}

  get settings(): Readonly<Record<string, string>> {
    return (this.settingsMemo ??= this.settingsFor(this.agent));
  }

  get signal(): AbortSignal {
    return this.run.signal;
  }
}

/** One running action. Its AbortController is made only if the action asks for the signal: most never do. */
class ActionRun {
  private controller?: AbortController;
  private reason?: Error;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.reason && !this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  abort(reason: Error): void {
    this.reason ??= reason;
    this.controller?.abort(reason);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function failure(statuscode: number, statusmsg: string): RpcReplyBody {
  return { statuscode, statusmsg, data: {} };
}
