// `mco web`: the HTTP API of the web console (fastify) on the client library, and the built browser app.
// Every /api/ route but the CSRF token and the login needs a session; every state-changing call a CSRF token;
// every request runs through the library, signed with the server's certificate and carrying the web user.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Server as SecureServer, TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import { checkedInputs, connect, type Troupe } from '../client/connect.js';
import { RequestError } from '../client/request-errors.js';
import type { Config } from '../config/index.js';
import type { AgentDDL } from '../ddl/index.js';
import { checkFilterData, dataTermsOf, FilterError, isEmptyFilter, parseCompound, usesDataPlugins, type Filter } from '../filter/index.js';
import { pkiPaths } from '../security/from-config.js';
import { jetStreamOf } from '../transport/jetstream.js';
import { registryBucketName } from '../transport/nats-registry.js';
import { parseRegistrySites } from '../client/discovery/sites.js';
import { packageRoot } from '../protocol/index.js';
import { WebError } from './errors.js';
import { parseWebFilter, scopedText, withScope } from './filters.js';
import { JobStore } from './job-store.js';
import { JobManager, rowOf, type Job, type JobSummary } from './jobs.js';
import { NodeIndex, RegistryWatcher, type WatchedSite } from './node-index.js';
import { CrlWatch } from './crl-watch.js';
import { loadRoles, permissionsFor, permissionsOf } from './roles.js';
import { SESSION_COOKIE, SessionStore, type Session } from './sessions.js';
import { UserDirectory } from './users.js';
import { registerPlanRoutes } from './plans.js';

/** Where `npm run build` puts the browser app: dist/web/app in the package, whether this runs from dist/ or src/. */
export const APP_DIR = join(packageRoot(), 'dist', 'web', 'app');

export interface WebServerOptions {
  config: Config;
  /** The config file's path: the users and roles files default to beside it. */
  configFile?: string;
  /** A connected client to use (tests); default: connect() with `config`. It is closed with the server only when made here. */
  troupe?: Troupe;
  /** Serve plain HTTP (loopback only); default `web.insecure_http`. */
  insecureHttp?: boolean;
  listen?: string;
  port?: number;
  logger?: Logger;
  /** The built app; default dist/web/app beside this module. */
  appDir?: string;
}

export interface WebServer {
  app: FastifyInstance;
  url: string;
  /** Every route: method and URL (for the tests that walk them all). */
  routes: Array<{ method: string; url: string }>;
  index: NodeIndex;
  jobs: JobManager;
  close(): Promise<void>;
}

/** The users and roles files: named in the config, else beside it. */
export function webFiles(config: Config, configFile?: string): { users: string; roles: string } {
  const beside = (name: string) => join(configFile ? dirname(resolve(configFile)) : process.cwd(), name);
  return {
    users: config.get('web.users_file') || beside('web-users.yaml'),
    roles: config.get('web.roles_file') || beside('web-roles.yaml'),
  };
}

export function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

function readPem(path: string, what: string, key: string): string {
  if (!path) throw new WebError('WEB_CONFIG', `no ${what} configured`, { hint: `set ${key}, or plugin.security.ssldir` });
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebError('WEB_CONFIG', `${what} ${path} cannot be read: ${(err as Error).message}`, { hint: `check ${key}` });
  }
}

interface Tls {
  key: string;
  cert: string;
  ca: string;
  /** The CA's revocations, when there is a CRL: a revoked browser certificate logs nobody in. */
  crl?: string;
}

function tlsFrom(config: Config): Tls {
  const pki = pkiPaths(config);
  const crl = pki.crl && existsSync(pki.crl) ? readFileSync(pki.crl, 'utf8') : undefined;
  return {
    cert: readPem(config.get('web.tls_cert') || pki.cert, 'web server certificate', 'web.tls_cert'),
    key: readPem(config.get('web.tls_key') || pki.key, 'web server key', 'web.tls_key'),
    ca: readPem(config.get('web.tls_ca') || pki.ca, 'CA certificate', 'web.tls_ca'),
    ...(crl ? { crl } : {}),
  };
}

/** Reloads a file-backed table when the file changes, so edits apply without a restart. */
function reloading<T>(file: string, load: (file: string) => T): () => T {
  let stamp = '';
  let value: T | undefined;
  return () => {
    let now = 'missing';
    try {
      const st = statSync(file);
      now = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      /* missing: empty */
    }
    if (value === undefined || now !== stamp) {
      value = load(file);
      stamp = now;
    }
    return value;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    webSession?: Session;
  }
}

const PUBLIC_API = new Set(['GET /api/csrf', 'POST /api/login']);
/** The cookie holding the CSRF secret that tokens are made from and checked against. */
const CSRF_COOKIE = '_csrf';

/** The API route a request is for (the matched route's pattern, or its decoded path when none matched); else undefined. */
function apiPath(req: FastifyRequest): string | undefined {
  const route = req.routeOptions.url;
  let path = route ?? req.url.split('?')[0]!;
  if (route === undefined) {
    try {
      path = decodeURIComponent(path);
    } catch {
      /* left as it is */
    }
    path = path.replace(/\/{2,}/g, '/').toLowerCase();
  }
  return path === '/api' || path.startsWith('/api/') ? path : undefined;
}
const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

const str = { type: 'string', maxLength: 4096 } as const;
const filterQuery = { type: 'string', maxLength: 4096, default: '' } as const;
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** Fastify's, the plugins' and the library's errors as the API's JSON errors. */
function toWebError(err: unknown): WebError {
  if (err instanceof WebError) return err;
  if (err instanceof FilterError) return new WebError('WEB_BAD_FILTER', err.message, { caret: { column: err.position, text: err.source } });
  if (err instanceof RequestError) {
    const field = /needs (\S+)/.exec(err.message)?.[1] ?? /input '?([A-Za-z0-9_]+)'?/.exec(err.message)?.[1];
    if (err.code === 'unknown_agent' || err.code === 'unknown_action') return new WebError('WEB_UNKNOWN_AGENT', err.message);
    return new WebError('WEB_INVALID_INPUTS', err.message, { ...(field ? { field: field.replace(/,$/, '') } : {}) });
  }
  const e = err as { code?: string; statusCode?: number; validation?: unknown; message?: string };
  if (e.validation) return new WebError('WEB_BAD_REQUEST', e.message ?? 'bad request');
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WebError('WEB_TOO_LARGE', 'the request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new WebError('WEB_BAD_JSON', e.message ?? 'the body is not JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new WebError('WEB_UNSUPPORTED_MEDIA', 'send the body as application/json');
    case 'FST_CSRF_MISSING_SECRET':
    case 'FST_CSRF_INVALID_TOKEN':
      return new WebError('WEB_CSRF', 'missing or wrong CSRF token', {
        hint: 'send the x-csrf-token header from /api/session or /api/csrf',
      });
  }
  if (e.statusCode === 429) return new WebError('WEB_RATE_LIMITED', 'too many login attempts; try again in a minute');
  if (e instanceof SyntaxError || e.statusCode === 400) return new WebError('WEB_BAD_REQUEST', e.message ?? 'bad request');
  if (e.statusCode === 413) return new WebError('WEB_TOO_LARGE', 'the request body is larger than the limit');
  if (e.statusCode === 415) return new WebError('WEB_UNSUPPORTED_MEDIA', 'send the body as application/json');
  return new WebError('WEB_INTERNAL', 'internal error', { cause: err });
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const { config } = opts;
  const insecure = opts.insecureHttp ?? config.get('web.insecure_http');
  const host = opts.listen ?? config.get('web.listen');
  const port = opts.port ?? config.get('web.port');
  if (insecure && !isLoopback(host))
    throw new WebError('WEB_CONFIG', `plain HTTP is only served on a loopback address, not ${host}`, {
      hint: 'listen on 127.0.0.1, or drop web.insecure_http / --insecure-http to serve HTTPS',
    });
  const tls = insecure ? undefined : tlsFrom(config);
  const crlFile = pkiPaths(config).crl || undefined;
  const files = webFiles(config, opts.configFile);
  const users = new UserDirectory(files.users);
  const roles = reloading(files.roles, loadRoles);
  roles(); // a broken roles file stops the start, not the first request
  const sites = parseRegistrySites(config.get('registry_sites'));
  const sessions = new SessionStore(config.get('web.session_ttl') * 1000);
  const troupe = opts.troupe ?? (await connect({ config, name: 'troupe-web' }));
  const ownTroupe = opts.troupe === undefined;
  const log = opts.logger;
  const warn = (msg: string, err?: unknown) => log?.warn({ err }, msg);

  const connector = await troupe.context.connected();
  const js = jetStreamOf(connector);
  const index = new NodeIndex(config.get('main_collective'));
  // Every site of `registry_sites`, each in its own bucket and JetStream domain, as discovery reads them; without
  // them the console's own site's registry (the one registry without `site`).
  const ownSite = config.get('site');
  const watched: WatchedSite[] = sites.length > 0 ? sites : [ownSite ? { name: ownSite } : {}];
  const watcherOptions = {
    timeoutMs: config.get('registry_site_timeout') * 1000,
    checkMs: config.get('web.registry_check') * 1000,
  };
  const watchers = js
    ? watched.map(
        (site) =>
          new RegistryWatcher(
            js,
            registryBucketName(config.get('registry_bucket'), site.name ?? ownSite),
            index,
            config.get('web.index_refresh') * 1000,
            { ...watcherOptions, site },
          ),
      )
    : [];
  for (const w of watchers) w.start();
  const store = js
    ? new JobStore(js.connection(), { bucket: config.get('web.jobs_bucket'), maxAgeMs: config.get('web.jobs_max_age') * 86400_000 }, () =>
        js.newInbox(),
      )
    : undefined;
  const jobs = new JobManager(troupe, store, warn);
  // Requests are aimed from the index only while every site is read: otherwise the library discovers.
  const indexReady = () => watchers.length > 0 && watchers.every((w) => w.lastError === undefined);
  await Promise.race([Promise.all(watchers.map((w) => w.ready())), new Promise((r) => setTimeout(r, 3000).unref())]);

  const app = Fastify({
    ...(log ? { loggerInstance: log } : { logger: false }),
    bodyLimit: config.get('web.body_limit'),
    // A client certificate is asked for but not required: password logins work without one.
    ...(tls ? { https: { ...tls, requestCert: true, rejectUnauthorized: false } } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  // The CRL is re-read when its file changes, for the handshakes to come and the certificates already presented.
  const crl = tls
    ? new CrlWatch(
        crlFile,
        tls.ca,
        (pem) => (app.server as unknown as SecureServer).setSecureContext({ key: tls.key, cert: tls.cert, ca: tls.ca, crl: pem }),
        warn,
      )
    : undefined;
  crl?.refresh();
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });

  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: !insecure };
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts,
    getToken: (req) => req.headers['x-csrf-token'] as string | undefined,
  });
  await app.register(fastifyRateLimit, { global: false });

  // JSON only: a form or text body is a 415, not a string the schema then refuses.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, req, reply) => {
    const w = toWebError(err);
    if (w.status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(w.status).type('application/json').send(w.body());
  });

  // Pages the app renders must not be framed or sniffed; scripts only from this server.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    return payload;
  });

  const certificateUser = (req: FastifyRequest): { user: string; pem: string } | undefined => {
    if (!tls) return undefined;
    const socket = req.raw.socket as TLSSocket;
    if (!socket.authorized) return undefined;
    // A kept-alive connection was authorised before the latest CRL: check the certificate against it here.
    const pem = socket.getPeerX509Certificate()?.toString();
    if (!pem || !crl?.allows(pem)) return undefined;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    const user = name ? users.byCertificate(name) : undefined;
    return user ? { user, pem } : undefined;
  };

  const setSessionCookie = (reply: FastifyReply, s: Session) =>
    reply.setCookie(SESSION_COOKIE, s.id, { ...cookieOpts, maxAge: config.get('web.session_ttl') });
  /**
   * A new session gets a new CSRF secret (made as the plugin makes them), so a token handed out before the login is
   * refused after it. Set on the request too: tokens made later in this request come from the new secret.
   */
  const rotateCsrf = (req: FastifyRequest, reply: FastifyReply) => {
    const secret = randomBytes(18).toString('base64url');
    req.cookies[CSRF_COOKIE] = secret;
    reply.setCookie(CSRF_COOKIE, secret, cookieOpts);
  };

  // Who is asking: the session cookie, else a client certificate that maps to a user. No session, no API.
  app.addHook('onRequest', async (req, reply) => {
    // By the route matched, not the raw URL: the router decodes `/%61pi/nodes` to /api/nodes, a raw check would not.
    const path = apiPath(req);
    if (path === undefined) return;
    let session = sessions.get(req.cookies[SESSION_COOKIE]);
    // A user removed, or whose password changed, since the session began is logged out; so is one whose certificate
    // has been revoked since.
    if (session && (users.get(session.user)?.hash !== session.hash || (session.certificate && !crl?.allows(session.certificate)))) {
      sessions.delete(session.id);
      session = undefined;
    }
    if (!session) {
      const byCert = certificateUser(req);
      if (byCert) {
        session = sessions.create(byCert.user, 'certificate', users.get(byCert.user)!.hash, byCert.pem);
        setSessionCookie(reply, session);
        rotateCsrf(req, reply);
      }
    }
    if (session) req.webSession = session;
    if (!session && !PUBLIC_API.has(`${req.method} ${path}`))
      throw new WebError('WEB_UNAUTHENTICATED', 'log in first', { hint: 'POST /api/login' });
  });
  // A second lock on the same door: no API handler runs without a session, whatever the hook above decided.
  app.addHook('preHandler', async (req) => {
    const route = req.routeOptions.url;
    if (route?.startsWith('/api/') && !PUBLIC_API.has(`${req.method} ${route}`) && !req.webSession)
      throw new WebError('WEB_UNAUTHENTICATED', 'log in first', { hint: 'POST /api/login' });
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (!STATE_CHANGING.has(req.method) || apiPath(req) === undefined) return done();
    app.csrfProtection(req, reply, done);
  });

  const sessionOf = (req: FastifyRequest): Session => {
    if (!req.webSession) throw new WebError('WEB_UNAUTHENTICATED', 'log in first');
    return req.webSession;
  };
  const rolesOf = (s: Session): string[] => users.get(s.user)?.roles ?? [];
  const ddlOf = (agent: string): AgentDDL | undefined => troupe.ddl(agent);

  /** The checks every request for an action passes before anything is sent; the filter it will carry. */
  const authorize = (s: Session, agent: string, action: string, filterText: string) => {
    const ddl = ddlOf(agent);
    if (!ddl || !Object.hasOwn(ddl.actions, action)) throw new WebError('WEB_UNKNOWN_AGENT', `no action ${agent}.${action}`);
    const perms = permissionsFor(roles(), rolesOf(s), agent, action);
    const userFilter = parseWebFilter(filterText);
    if (isEmptyFilter(userFilter) && !perms.allowFleet)
      throw new WebError('WEB_FLEET_REFUSED', 'your role may not send requests to the whole fleet: give a filter');
    const filter = withScope(userFilter, perms.scope);
    let nodes: string[] | undefined;
    const data = usesDataPlugins(filter);
    // Data plugin calls are checked as mco checks them (unknown plugin or field: 400 with the caret)...
    if (data && troupe.context.dataDDLs) {
      try {
        checkFilterData(filter, troupe.context.dataDDLs.catalog());
      } catch (err) {
        throw toWebError(err);
      }
    }
    // ...and only the nodes can answer them: such a request is broadcast, not aimed from the registry.
    if (indexReady() && !data) {
      nodes = index.matching(filter).map((n) => n.record.identity);
      // ANDing the scope narrows a filter; one that only reaches nodes outside the scope is refused outright.
      if (perms.scope !== null && nodes.length === 0) {
        const reached = index.count(userFilter).count;
        if (reached > 0)
          throw new WebError('WEB_OUT_OF_SCOPE', `the filter reaches ${reached} node(s), none inside your role's scope (${perms.scope})`);
      }
    }
    return { ddl, perms, filter, scoped: scopedText(filterText, perms.scope), nodes, broadcast: data };
  };

  const visibleAgents = (s: Session) => {
    const mine = rolesOf(s);
    return troupe.context.ddls
      .list()
      .map((ddl) => {
        const actions = Object.entries(ddl.actions)
          .filter(([name]) => {
            try {
              permissionsFor(roles(), mine, ddl.metadata.name, name);
              return true;
            } catch {
              return false;
            }
          })
          .map(([name, a]) => ({
            name,
            description: a.description,
            display: a.display,
            input: a.input,
            output: a.output,
            ...(a.aggregate.length ? { aggregate: a.aggregate } : {}),
          }));
        return { name: ddl.metadata.name, description: ddl.metadata.description, actions };
      })
      .filter((a) => a.actions.length > 0 && a.name !== 'discovery')
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  };

  /** A user sees the jobs they started; a role with `see_all_jobs` sees everyone's. */
  const seesAllJobs = (s: Session): boolean => permissionsOf(roles(), rolesOf(s)).seeAllJobs;
  const jobVisible = (s: Session) => {
    const all = seesAllJobs(s);
    return (summary: JobSummary) => all || summary.user === s.user;
  };
  /** The job, when this user may see it; another user's job is a 404 like an unknown one, so ids are not confirmed. */
  const needJob = async (s: Session, id: string): Promise<Job> => {
    const job = await jobs.get(id);
    if (!job || !jobVisible(s)(job.summary)) throw new WebError('WEB_NOT_FOUND', `no job ${id}`);
    return job;
  };

  /** Unredacted inputs of jobs started by this process, for reruns (the history keeps them redacted). */
  const rawInputs = new Map<string, Record<string, unknown>>();

  interface JobBody {
    agent: string;
    action: string;
    inputs?: Record<string, unknown>;
    filter?: string;
    batchSize?: number;
    batchSleep?: number;
    limit?: number | string;
  }
  const startJob = (s: Session, b: JobBody, extra: { nodes?: string[]; rerunOf?: Job['summary']['rerunOf'] } = {}): Job => {
    const filterText = b.filter ?? '';
    const auth = authorize(s, b.agent, b.action, filterText);
    const inputs = b.inputs ?? {};
    // The same checks `mco rpc` makes, so a bad input is a 400 here and nothing is sent.
    try {
      checkedInputs(auth.ddl, b.agent, b.action, inputs);
    } catch (err) {
      throw toWebError(err);
    }
    let nodes = auth.nodes;
    if (extra.nodes) {
      // A rerun: exactly those identities, and only those still inside the user's scope.
      const allowed = nodes ? new Set(nodes) : undefined;
      nodes = allowed ? extra.nodes.filter((n) => allowed.has(n)) : extra.nodes;
    }
    const job = jobs.start(
      {
        user: s.user,
        agent: b.agent,
        action: b.action,
        inputs,
        filterText,
        scopedText: auth.scoped,
        filter: auth.filter,
        nodes,
        // The index's match of the filter goes out as one broadcast, as `mco ping` does; a rerun's subset node by node.
        nodesMatchFilter: nodes !== undefined && extra.nodes === undefined,
        ...(auth.broadcast ? { method: 'mc' } : {}),
        batchSize: b.batchSize,
        batchSleepMs: b.batchSleep !== undefined ? b.batchSleep * 1000 : undefined,
        limit: b.limit,
        rerunOf: extra.rerunOf,
      },
      auth.ddl,
    );
    rawInputs.set(job.id, inputs);
    return job;
  };

  // ---- session ----
  app.get('/api/csrf', { schema: { response: {} } }, async (_req, reply) => ({ token: reply.generateCsrf() }));

  app.post(
    '/api/login',
    {
      config: { rateLimit: { max: config.get('web.login_rate_limit'), timeWindow: 60_000 } },
      schema: {
        body: {
          type: 'object',
          required: ['user', 'password'],
          additionalProperties: false,
          properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (req, reply) => {
      const { user, password } = req.body as { user: string; password: string };
      const found = await users.authenticate(user, password);
      if (!found) throw new WebError('WEB_BAD_CREDENTIALS', 'wrong user name or password');
      if (req.webSession) sessions.delete(req.webSession.id);
      const s = sessions.create(user, 'password', found.hash);
      setSessionCookie(reply, s);
      rotateCsrf(req, reply);
      log?.info({ user }, 'web login');
      return { user, roles: found.roles, csrfToken: reply.generateCsrf() };
    },
  );

  app.get('/api/session', async (req, reply) => {
    const s = sessionOf(req);
    const mine = rolesOf(s);
    return { user: s.user, roles: mine, via: s.via, csrfToken: reply.generateCsrf(), permissions: permissionsOf(roles(), mine) };
  });

  app.post('/api/logout', async (req, reply) => {
    const s = sessionOf(req);
    sessions.delete(s.id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  /** The filter for the node list, which the registry answers: data plugin calls need the nodes. */
  const registryFilter = (text: string): Filter => {
    const f = parseWebFilter(text);
    if (usesDataPlugins(f)) {
      const term = f.compound.flatMap((c) => dataTermsOf(parseCompound(c)))[0];
      throw new WebError(
        'WEB_BAD_FILTER',
        'data plugin calls are answered by the nodes; the node list reads the registry and cannot evaluate them',
        {
          caret: { column: term && f.compound.length === 1 && f.compound[0] === text ? term.position : 0, text },
          hint: 'use the filter in a job (it is broadcast), or filter the list by facts and classes',
        },
      );
    }
    return f;
  };

  // ---- nodes ----
  const needIndex = () => {
    if (watchers.length === 0) throw new WebError('WEB_UNAVAILABLE', 'the node list needs NATS with JetStream (the registry)');
    // Some sites read: their nodes are listed and the others named (`unreachable`); none: nothing to list.
    if (watchers.every((w) => w.lastError !== undefined))
      throw new WebError('WEB_UNAVAILABLE', `the registry cannot be read: ${watchers.map((w) => w.lastError).join('; ')}`);
  };
  /** What the node list says beside its nodes: the sites read, and those whose registries cannot be read now. */
  const indexStatus = () => ({ sites: watchers.flatMap((w) => (w.site === undefined ? [] : [w.site])), unreachable: index.unreachable() });
  app.get(
    '/api/nodes',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filter: filterQuery,
            offset: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            facts: { type: 'string', maxLength: 4096, default: '' },
            sort: { type: 'string', maxLength: 257, default: 'identity' },
          },
        },
      },
    },
    async (req) => {
      needIndex();
      const q = req.query as { filter: string; offset: number; limit: number; facts: string; sort: string };
      const facts = q.facts
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .slice(0, 50);
      return {
        ...index.query({ filter: registryFilter(q.filter), offset: q.offset, limit: q.limit, facts, sort: q.sort }),
        ...indexStatus(),
      };
    },
  );

  app.get(
    '/api/nodes/count',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { filter: filterQuery } } } },
    async (req) => {
      needIndex();
      return { ...index.count(registryFilter((req.query as { filter: string }).filter)), ...indexStatus() };
    },
  );

  app.get('/api/facts', async () => {
    needIndex();
    return { names: index.facts() };
  });

  app.get(
    '/api/nodes/:identity',
    {
      schema: {
        params: { type: 'object', required: ['identity'], properties: { identity: { type: 'string', minLength: 1, maxLength: 255 } } },
      },
    },
    async (req) => {
      needIndex();
      const identity = (req.params as { identity: string }).identity;
      const n = index.get(identity);
      if (!n) throw new WebError('WEB_NOT_FOUND', `no node ${identity} in the registry`);
      const row = index.row(n, []);
      const recent = await jobs.touching(identity, 20, jobVisible(sessionOf(req)));
      let puppet: Record<string, unknown> | undefined;
      for (const s of recent) {
        if (s.agent !== 'puppet' || !['status', 'last_run_summary'].includes(s.action)) continue;
        const r = (await jobs.get(s.id))?.replies.get(identity);
        if (r && r.statuscode === 0) {
          puppet = { ...r.data, job: s.id, at: s.created };
          break;
        }
      }
      return { ...row, facts: n.record.facts, ...(puppet ? { puppet } : {}), jobs: recent };
    },
  );

  // ---- saved filters (per user) ----
  const needStore = () => {
    if (!store) throw new WebError('WEB_UNAVAILABLE', 'saved filters and the job history need NATS with JetStream');
    return store;
  };
  app.get('/api/filters', async (req) => {
    const s = sessionOf(req);
    const list = await needStore().values<{ name: string; filter: string }>(JobStore.filtersOf(s.user));
    return { filters: list.sort((a, b) => (a.name < b.name ? -1 : 1)) };
  });
  app.post(
    '/api/filters',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'filter'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, filter: str },
        },
      },
    },
    async (req) => {
      const s = sessionOf(req);
      const { name, filter } = req.body as { name: string; filter: string };
      parseWebFilter(filter);
      await needStore().put(JobStore.filterKey(s.user, name), { name, filter });
      return { ok: true };
    },
  );
  app.delete(
    '/api/filters/:name',
    { schema: { params: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } } } },
    async (req) => {
      const s = sessionOf(req);
      const name = (req.params as { name: string }).name;
      const st = needStore();
      if (!(await st.get(JobStore.filterKey(s.user, name)))) throw new WebError('WEB_NOT_FOUND', `no saved filter '${name}'`);
      await st.delete(JobStore.filterKey(s.user, name));
      return { ok: true };
    },
  );

  // ---- agents and jobs ----
  app.get('/api/agents', async (req) => ({ agents: visibleAgents(sessionOf(req)) }));

  const actionBody = {
    type: 'object',
    required: ['agent', 'action'],
    additionalProperties: false,
    properties: {
      agent: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
      action: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
      filter: str,
    },
  } as const;

  app.post('/api/preview', { schema: { body: actionBody } }, async (req) => {
    const s = sessionOf(req);
    const b = req.body as { agent: string; action: string; filter?: string };
    const auth = authorize(s, b.agent, b.action, b.filter ?? '');
    return { count: auth.nodes?.length ?? null, scopedFilter: auth.scoped };
  });

  const jobBody = {
    ...actionBody,
    properties: {
      ...actionBody.properties,
      inputs: { type: 'object', maxProperties: 100 },
      batchSize: { type: 'integer', minimum: 1 },
      batchSleep: { type: 'number', minimum: 0, maximum: 3600 },
      limit: {
        anyOf: [
          { type: 'integer', minimum: 1 },
          { type: 'string', pattern: '^[0-9]{1,9}%?$' },
        ],
      },
    },
  } as const;

  app.post('/api/jobs', { schema: { body: jobBody } }, async (req, reply) => {
    const job = startJob(sessionOf(req), req.body as JobBody);
    return reply.code(202).send({ id: job.id });
  });

  app.get(
    '/api/jobs',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            offset: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { offset: number; limit: number };
      return jobs.list(q.offset, q.limit, jobVisible(sessionOf(req)));
    },
  );

  app.get('/api/jobs/:id', { schema: { params: idParam } }, async (req) =>
    (await needJob(sessionOf(req), (req.params as { id: string }).id)).detail(),
  );

  app.get(
    '/api/jobs/:id/replies',
    {
      schema: {
        params: idParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            offset: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
            outcome: { type: 'string', enum: ['ok', 'failed', 'noreply'] },
          },
        },
      },
    },
    async (req) => {
      const job = await needJob(sessionOf(req), (req.params as { id: string }).id);
      const q = req.query as { offset: number; limit: number; outcome?: string };
      if (q.outcome === 'noreply') {
        const rows = job.noReply.map((identity) => ({ identity, statuscode: null, statusmsg: 'no reply', ms: null, data: {} }));
        return { total: rows.length, replies: rows.slice(q.offset, q.offset + q.limit) };
      }
      let all = [...job.replies.values()];
      if (q.outcome === 'ok') all = all.filter((r) => r.statuscode === 0);
      if (q.outcome === 'failed') all = all.filter((r) => r.statuscode !== 0);
      all.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
      return { total: all.length, replies: all.slice(q.offset, q.offset + q.limit).map(rowOf) };
    },
  );

  app.get(
    '/api/jobs/:id/replies/:identity',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id', 'identity'],
          properties: { ...idParam.properties, identity: { type: 'string', minLength: 1, maxLength: 255 } },
        },
      },
    },
    async (req) => {
      const p = req.params as { id: string; identity: string };
      const r = (await needJob(sessionOf(req), p.id)).replies.get(p.identity);
      if (!r) throw new WebError('WEB_NOT_FOUND', `no reply from ${p.identity} in job ${p.id}`);
      return { identity: r.identity, statuscode: r.statuscode, statusmsg: r.statusmsg, data: r.data };
    },
  );

  app.get('/api/jobs/:id/events', { schema: { params: idParam } }, async (req, reply) => {
    const job = await needJob(sessionOf(req), (req.params as { id: string }).id);
    sse(reply, (send, close) => job.subscribe({ send, close }));
  });

  app.post('/api/jobs/:id/cancel', { schema: { params: idParam } }, async (req) => {
    const job = await needJob(sessionOf(req), (req.params as { id: string }).id);
    if (job.summary.state !== 'running') throw new WebError('WEB_CONFLICT', `job ${job.id} has already ended (${job.summary.state})`);
    jobs.cancel(job);
    await job.done();
    return { ok: true };
  });

  app.post(
    '/api/jobs/:id/rerun',
    {
      schema: {
        params: idParam,
        body: {
          type: 'object',
          required: ['on'],
          additionalProperties: false,
          properties: { on: { type: 'string', enum: ['failed', 'noreply'] } },
        },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const job = await needJob(s, (req.params as { id: string }).id);
      if (job.summary.state === 'running') throw new WebError('WEB_CONFLICT', `job ${job.id} is still running`);
      const on = (req.body as { on: 'failed' | 'noreply' }).on;
      const identities =
        on === 'failed' ? [...job.replies.values()].filter((r) => r.statuscode !== 0).map((r) => r.identity) : [...job.noReply];
      if (identities.length === 0)
        throw new WebError('WEB_CONFLICT', `job ${job.id} has no ${on === 'failed' ? 'failed nodes' : 'silent nodes'}`);
      const inputs = rawInputs.get(job.id) ?? job.summary.inputs;
      if (Object.values(inputs).includes('[redacted]'))
        throw new WebError('WEB_CONFLICT', 'the job had secret inputs, which the history does not keep: start it again with them');
      const again = startJob(
        s,
        { agent: job.summary.agent, action: job.summary.action, inputs, filter: job.summary.filter },
        { nodes: identities.sort(), rerunOf: { id: job.id, on } },
      );
      return reply.code(202).send({ id: again.id });
    },
  );

  // ---- puppet ----
  app.get(
    '/api/puppet/overview',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { filter: filterQuery } } } },
    async (req, reply) => {
      // Applying, idle and disabled come from status; how the last runs went (failed, resources changed and failed,
      // when) from last_run_summary, which a role that lacks it does without (summaryId null).
      const s = sessionOf(req);
      const filter = (req.query as { filter: string }).filter;
      const job = startJob(s, { agent: 'puppet', action: 'status', filter });
      let summaryId: string | null = null;
      try {
        summaryId = startJob(s, { agent: 'puppet', action: 'last_run_summary', filter }).id;
      } catch (err) {
        if (!(err instanceof WebError && err.code === 'WEB_FORBIDDEN_ACTION')) throw err;
      }
      return reply.code(202).send({ id: job.id, summaryId });
    },
  );
  app.post(
    '/api/puppet/runall',
    {
      schema: {
        body: {
          type: 'object',
          required: ['concurrency'],
          additionalProperties: false,
          properties: { filter: str, concurrency: { type: 'integer', minimum: 1, maximum: 10000 }, inputs: { type: 'object' } },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { filter?: string; concurrency: number; inputs?: Record<string, unknown> };
      // At most N at once: batches of N, each waiting for its replies before the next goes out.
      const job = startJob(sessionOf(req), {
        agent: 'puppet',
        action: 'runonce',
        filter: b.filter ?? '',
        inputs: b.inputs ?? {},
        batchSize: b.concurrency,
        batchSleep: 0,
      });
      return reply.code(202).send({ id: job.id });
    },
  );

  // ---- plans ----
  await registerPlanRoutes(app, {
    troupe,
    sessionOf,
    permissions: (s) => permissionsOf(roles(), rolesOf(s)),
    sse,
    log: warn,
    connector,
    store,
  });

  // ---- the app ----
  const appDir = opts.appDir ?? APP_DIR;
  const built = existsSync(join(appDir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: appDir, prefix: '/', wildcard: false, index: 'index.html' });
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/api/') || req.method !== 'GET')
      return reply.code(404).send(errorBody('WEB_NOT_FOUND', `no route ${req.method} ${path}`));
    if (built) return reply.type('text/html').sendFile('index.html');
    return reply
      .type('text/html')
      .send(
        '<!doctype html><meta charset="utf-8"><title>troupe</title><p>The troupe web console has not been built: run <code>npm run build</code>.</p>',
      );
  });

  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${hostPart}:${boundPort}`;

  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    routes,
    index,
    jobs,
    close: () =>
      (closing ??= (async () => {
        for (const w of watchers) w.stop();
        sessions.close();
        await jobs.close();
        await app.close();
        if (ownTroupe) await troupe.close();
      })()),
  };
}

export type SseSend = (event: string, data: unknown) => void;
export type Sse = (reply: FastifyReply, attach: (send: SseSend, close: () => void) => () => void) => void;

/** A Server-Sent Events stream: `event: NAME` / `data: JSON` blocks, a comment every 15 s to keep proxies open. */
export const sse: Sse = (reply, attach) => {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  res.write(': troupe\n\n');
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(beat);
    hold.detach?.();
    res.end();
  };
  const send: SseSend = (event, data) => {
    if (open) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const beat = setInterval(() => open && res.write(': keep-alive\n\n'), 15_000);
  // attach() may close the stream at once (a finished job), before it has returned its detach.
  const hold: { detach?: () => void } = {};
  res.on('close', close);
  hold.detach = attach(send, close);
  if (!open) hold.detach();
};
