// Rollout plans from the web console: listed and read from the plan store (plan/), started, paused and resumed with
// the plan runner on the server's client. A plan may run any action on any node, so starting, pausing and resuming
// one needs a role allowing every action (`*`) with no scope. A user sees the runs they started (caller `web:USER`);
// a role with `see_all_jobs` sees every run. Every request a run sends names the web user in `on_behalf_of`.
import { basename } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Troupe } from '../client/connect.js';
import type { ClientSession } from '../client/session.js';
import { JetStreamPlanStore } from '../plan/jetstream-store.js';
import {
  PlanError,
  parsePlan,
  resumePlan,
  startPlan,
  type LoadedPlan,
  type PlanEvent,
  type PlanOutcome,
  type PlanStore,
} from '../plan/index.js';
import type { Connector } from '../transport/connector.js';
import { WebError } from './errors.js';
import type { JobStore } from './job-store.js';
import { keyToken } from '../plan/jetstream-store.js';
import type { Permissions } from './roles.js';
import type { Session } from './sessions.js';
import type { Sse, SseSend } from './server.js';

export interface PlanRouteContext {
  troupe: Troupe;
  connector: Connector;
  store?: JobStore;
  sessionOf(req: FastifyRequest): Session;
  permissions(s: Session): Permissions;
  sse: Sse;
  log(msg: string, err?: unknown): void;
}

interface LiveRun {
  abort: AbortController;
  subscribers: Set<{ send: SseSend; close(): void }>;
  done?: PlanOutcome;
  events: PlanEvent[];
  /** State messages go out one after another, each with the one event that caused it. */
  sending: Promise<void>;
}

const FILE_PREFIX = 'troupe-web-plan-';
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

/** The server's client session for one web user's run: every request it sends names the user (`on_behalf_of`). */
function onBehalfOf(session: ClientSession, user: string): ClientSession {
  return {
    defaults: session.defaults,
    ddls: session.ddls,
    ...(session.dataDDLs ? { dataDDLs: session.dataDDLs } : {}),
    client: async () => (await session.client()).onBehalfOf(user),
    discoveryMethod: (name) => session.discoveryMethod(name),
    ...(session.registry ? { registry: () => session.registry!() } : {}),
    // The server's session outlives the run.
    close: async () => undefined,
  };
}

const callerOf = (s: Session) => `web:${s.user}`;

function planFailure(err: unknown): WebError {
  if (err instanceof WebError) return err;
  if (err instanceof PlanError) {
    if (err.code === 'plan_not_found') return new WebError('WEB_NOT_FOUND', err.message);
    if (err.code === 'plan_finished' || err.code === 'plan_locked' || err.code === 'plan_changed')
      return new WebError('WEB_CONFLICT', err.message);
    return new WebError('WEB_BAD_REQUEST', err.message, err.hint ? { hint: err.hint } : {});
  }
  return new WebError('WEB_UNAVAILABLE', (err as Error).message, { cause: err });
}

export async function registerPlanRoutes(app: FastifyInstance, ctx: PlanRouteContext): Promise<void> {
  let planStore: PlanStore | undefined;
  const store = (): PlanStore => {
    try {
      planStore ??= JetStreamPlanStore.for(ctx.connector, {
        name: ctx.troupe.config.get('plan_bucket'),
        leaseMs: ctx.troupe.config.get('plan_lease_period') * 1000,
      });
    } catch (err) {
      throw new WebError('WEB_UNAVAILABLE', (err as Error).message);
    }
    return planStore;
  };
  const live = new Map<string, LiveRun>();
  /** Plan texts by digest, so a paused run can be resumed from the text it started with. */
  const texts = new Map<string, string>();

  const mayRunPlans = (s: Session) => {
    const p = ctx.permissions(s);
    if (!p.actions.includes('*') || p.scope !== null)
      throw new WebError('WEB_FORBIDDEN_ACTION', 'plans may run any action: they need a role allowing `*` with no scope');
  };

  const loader = (file: string): LoadedPlan => {
    const digest = basename(file)
      .slice(FILE_PREFIX.length)
      .replace(/\.yaml$/, '');
    const text = texts.get(digest);
    if (text === undefined) throw new PlanError('plan_unreadable', `the web console does not have the text of plan ${digest}`);
    return parsePlan(text, 'plan', file);
  };

  const textOf = async (digest: string): Promise<void> => {
    if (texts.has(digest) || !ctx.store) return;
    const stored = await ctx.store.get<{ text: string }>(`plantext.${keyToken(digest)}`);
    if (stored) texts.set(digest, stored.text);
  };

  /** A user sees their own runs; a role with `see_all_jobs` every run. */
  const maySee = (s: Session, run: { caller: string }) => run.caller === callerOf(s) || ctx.permissions(s).seeAllJobs;

  // Queued, so each event goes out once and in order: read after an await, `events.at(-1)` could be a later one twice.
  const broadcast = (id: string, run: LiveRun, last?: PlanEvent): Promise<void> =>
    (run.sending = run.sending.then(async () => {
      const state = await store()
        .get(id)
        .catch(() => undefined);
      for (const sub of run.subscribers) sub.send('state', { ...state, ...(last ? { last } : {}) });
    }));

  /** Runs (or resumes) a plan in the background; resolves with the run id once the runner has one. */
  const launch = (s: Session, go: (onEvent: (e: PlanEvent) => void, signal: AbortSignal) => Promise<PlanOutcome>): Promise<string> =>
    new Promise((resolve, reject) => {
      const abort = new AbortController();
      let id: string | undefined;
      let run: LiveRun | undefined;
      const onEvent = (e: PlanEvent) => {
        if (e.type === 'start' && id === undefined) {
          id = e.id;
          run = live.get(id) ?? { abort, subscribers: new Set(), events: [], sending: Promise.resolve() };
          run.abort = abort;
          run.done = undefined;
          live.set(id, run);
          resolve(id);
        }
        if (!run || !id) return;
        run.events.push(e);
        if (run.events.length > 500) run.events.shift();
        void broadcast(id, run, e);
      };
      const finish = async (outcome: PlanOutcome) => {
        if (!run || !id) return;
        run.done = outcome;
        await broadcast(id, run);
        for (const sub of run.subscribers) {
          sub.send('end', outcome);
          sub.close();
        }
        run.subscribers.clear();
      };
      go(onEvent, abort.signal).then(
        async (outcome) => {
          if (!run || !id) return reject(new WebError('WEB_INTERNAL', 'the plan ended before it started'));
          await finish(outcome);
        },
        async (err: unknown) => {
          if (id === undefined) return reject(planFailure(err));
          ctx.log(`plan run ${id} failed`, err);
          await finish({ id, plan: '', state: 'failed', reason: (err as Error).message, exitCode: 1, steps: [] });
        },
      );
      void s;
    });

  const runnerOptions = (s: Session, onEvent: (e: PlanEvent) => void, signal: AbortSignal) => ({
    session: onBehalfOf(ctx.troupe.context, s.user),
    store: store(),
    caller: callerOf(s),
    onEvent,
    signal,
    leaseMs: ctx.troupe.config.get('plan_lease_period') * 1000,
  });

  app.get('/api/plans', async (req) => {
    const s = ctx.sessionOf(req);
    const runs = await store()
      .list()
      .catch((err: unknown) => {
        throw planFailure(err);
      });
    return {
      runs: runs.filter((r) => maySee(s, r)).map((r) => ({ ...r, started: r.startedAt, live: live.has(r.id) && !live.get(r.id)!.done })),
    };
  });

  app.post(
    '/api/plans',
    {
      schema: {
        body: {
          type: 'object',
          required: ['plan'],
          additionalProperties: false,
          properties: { plan: { type: 'string', minLength: 1, maxLength: 262144 }, inputs: { type: 'object', maxProperties: 200 } },
        },
      },
    },
    async (req, reply) => {
      const s = ctx.sessionOf(req);
      mayRunPlans(s);
      const b = req.body as { plan: string; inputs?: Record<string, unknown> };
      let plan: LoadedPlan;
      try {
        const probe = parsePlan(b.plan, 'plan');
        plan = parsePlan(b.plan, 'plan', `${FILE_PREFIX}${probe.digest}.yaml`);
      } catch (err) {
        throw planFailure(err);
      }
      texts.set(plan.digest, b.plan);
      await ctx.store
        ?.put(`plantext.${keyToken(plan.digest)}`, { text: b.plan })
        .catch((err: unknown) => ctx.log('cannot keep plan text', err));
      const id = await launch(s, (onEvent, signal) => startPlan(runnerOptions(s, onEvent, signal), plan, b.inputs ?? {}));
      return reply.code(202).send({ id });
    },
  );

  /** The run as the store has it, when this user may see it; another user's run is a 404 like an unknown one. */
  const visibleRun = async (s: Session, id: string) => {
    const run = await store()
      .get(id)
      .catch((err: unknown) => {
        throw planFailure(err);
      });
    if (!run || !maySee(s, run)) throw new WebError('WEB_NOT_FOUND', `no plan run ${id}`);
    return run;
  };

  const stateOf = async (s: Session, id: string) => {
    const run = await visibleRun(s, id);
    const steps = await store()
      .steps(id)
      .catch(() => []);
    const l = live.get(id);
    return { ...run, steps, paused: run.state === 'running' && (!l || l.done !== undefined), events: l?.events.slice(-50) ?? [] };
  };

  app.get('/api/plans/:id', { schema: { params: idParam } }, async (req) => stateOf(ctx.sessionOf(req), (req.params as { id: string }).id));

  app.get('/api/plans/:id/events', { schema: { params: idParam } }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const first = await stateOf(ctx.sessionOf(req), id);
    const run = live.get(id);
    ctx.sse(reply, (send, close) => {
      send('state', first);
      if (!run) {
        // Not run by this console: what the store says, and the end when it has ended.
        if (first.state !== 'running') {
          send('end', { id, state: first.state, reason: first.reason });
          close();
        }
        return () => undefined;
      }
      if (run.done && first.state !== 'running') {
        send('end', { id, state: first.state, reason: first.reason });
        close();
        return () => undefined;
      }
      // Running, or paused here: the live events (a resume's too) to the end.
      const sub = { send, close };
      run.subscribers.add(sub);
      return () => run.subscribers.delete(sub);
    });
  });

  app.post('/api/plans/:id/pause', { schema: { params: idParam } }, async (req) => {
    const s = ctx.sessionOf(req);
    const id = (req.params as { id: string }).id;
    await visibleRun(s, id);
    mayRunPlans(s);
    const run = live.get(id);
    if (!run || run.done) throw new WebError('WEB_CONFLICT', `plan run ${id} is not running in this web console`);
    // The runner stops between batches and leaves the run `running`, to be resumed.
    run.abort.abort();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (run.done) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    return { ok: true };
  });

  app.post('/api/plans/:id/resume', { schema: { params: idParam } }, async (req, reply) => {
    const s = ctx.sessionOf(req);
    const id = (req.params as { id: string }).id;
    const record = await visibleRun(s, id);
    mayRunPlans(s);
    const l = live.get(id);
    if (l && !l.done) throw new WebError('WEB_CONFLICT', `plan run ${id} is running`);
    await textOf(record.planDigest);
    await launch(s, (onEvent, signal) => resumePlan(runnerOptions(s, onEvent, signal), id, loader));
    return reply.code(202).send({ id });
  });
}
