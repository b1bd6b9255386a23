// Rollout plans from the web console: listed and read from the plan store (plan/), started and resumed with the
// plan runner on the server's client.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Troupe } from '../client/connect.js';
import type { Filter } from '../filter/index.js';
import { JetStreamPlanStore } from '../plan/jetstream-store.js';
import type { Connector } from '../transport/connector.js';
import { WebError } from './errors.js';
import type { Session } from './sessions.js';
import type { Sse } from './server.js';

export interface PlanRouteContext {
  troupe: Troupe;
  connector: Connector;
  sessionOf(req: FastifyRequest): Session;
  authorize(s: Session, agent: string, action: string, filterText: string): { filter: Filter; nodes?: string[] };
  sse: Sse;
  log(msg: string, err?: unknown): void;
}

export async function registerPlanRoutes(app: FastifyInstance, ctx: PlanRouteContext): Promise<void> {
  let store: JetStreamPlanStore | undefined;
  const planStore = () => {
    try {
      store ??= JetStreamPlanStore.for(ctx.connector, { name: ctx.troupe.config.get('plan_bucket') });
    } catch (err) {
      throw new WebError('WEB_UNAVAILABLE', (err as Error).message);
    }
    return store;
  };
  app.get('/api/plans', async (req) => {
    ctx.sessionOf(req);
    const runs = await planStore()
      .list()
      .catch((err: unknown) => {
        throw new WebError('WEB_UNAVAILABLE', (err as Error).message);
      });
    return { runs };
  });
}
