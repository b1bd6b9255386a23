// The web console's API over real sockets against a real nats-server and 1,000 simulated nodes: no session no
// API, CSRF on every state-changing call, roles and their scope (refused requests never reach the broker), body
// limits, the login rate limit, jobs streamed over SSE, on_behalf_of in the nodes' audit lines, reruns, and a
// history that outlives the server.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect as natsConnect, type NatsConnection, type Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { scratchDir, startSim, type RunningSim, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { waitForRegistry } from '../registry/registry.js';
import { generateFleet } from '../../../src/server/fleet.js';
import { loadConfig } from '../../../src/config/index.js';
import { decodeFrame } from '../../../src/protocol/index.js';
import { startWebServer, type WebServer } from '../../../src/web/server.js';
import { hashPassword, saveUsers } from '../../../src/web/users.js';
import { WebClient } from './http.js';

const FLEET = 1000;
const FAILING = ['node-00007.example.net', 'node-00100.example.net'];
const SILENT = ['node-00011.example.net'];

let broker: LocalNatsServer;
let sim: RunningSim | undefined;
let scratch: Scratch;
let clientCfg: string;
let auditFile: string;
let server: WebServer | undefined;
let spy: NatsConnection | undefined;

const start = async (extra: Record<string, unknown> = {}) =>
  startWebServer({ config: loadConfig(clientCfg), configFile: clientCfg, insecureHttp: true, port: 0, ...extra });

async function loggedIn(user: string): Promise<WebClient> {
  const c = new WebClient(server!.url);
  const a = await c.login(user, `${user}-password`);
  expect(a.status).toBe(200);
  return c;
}

const codeOf = (a: { body: unknown }) => (a.body as { error?: { code?: string } }).error?.code;

/** Runs a job and reads its event stream to the end: every row, the last stats, the end event. */
async function runJob(c: WebClient, body: Record<string, unknown>) {
  const started = await c.post<{ id: string }>('/api/jobs', body);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const id = started.body.id;
  const rows = new Map<string, Record<string, unknown>>();
  let end: Record<string, unknown> | undefined;
  await c.events(`/api/jobs/${id}/events`, (event, data) => {
    if (event === 'replies') for (const r of data as Array<Record<string, unknown>>) rows.set(r.identity as string, r);
    if (event === 'end') end = data as Record<string, unknown>;
  });
  return { id, rows, end: end! };
}

beforeAll(async () => {
  broker = await startNatsServer({ jetstream: true });
  scratch = scratchDir('troupe-web-');
  auditFile = `${scratch.dir}/audit.log`;
  const nodes = generateFleet(FLEET).nodes.map((n) => ({
    ...n,
    ...(FAILING.includes(n.identity) ? { simulate: { fail: ['rpcutil#agent_inventory'] } } : {}),
    ...(SILENT.includes(n.identity) ? { simulate: { silent: ['rpcutil#daemon_stats'] } } : {}),
  }));
  const serverCfg = scratch.config('server.cfg', {
    middleware_hosts: broker.url,
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registration_splay: 0,
    rpcaudit: 1,
    'plugin.rpcaudit.logfile': auditFile,
  });
  clientCfg = scratch.config('client.cfg', {
    middleware_hosts: broker.url,
    securityprovider: 'insecure',
    discovery_timeout: 1,
    'web.body_limit': 65536,
    'web.login_rate_limit': 1000,
  });
  scratch.file(
    'web-roles.yaml',
    [
      'roles:',
      '  admin:',
      '    actions: ["*"]',
      '    see_all_jobs: true',
      '  operator:',
      '    actions: ["*"]',
      '  webops:',
      '    actions: ["rpcutil.*"]',
      '    scope: "role=web"',
      '    allow_fleet: false',
    ].join('\n'),
  );
  const users: Record<string, { hash: string; roles: string[] }> = {};
  for (const [name, roles] of [
    ['alice', ['admin']],
    ['olga', ['operator']],
    ['wendy', ['webops']],
  ] as const)
    users[name] = { hash: await hashPassword(`${name}-password`), roles: [...roles] };
  saveUsers(`${scratch.dir}/web-users.yaml`, { users });
  sim = await startSim(['--fleet', scratch.file('fleet.json', JSON.stringify({ nodes })), '--config', serverCfg], 120_000);
  await waitForRegistry(broker.url, FLEET, 60_000);
  server = await start();
  await waitFor('the node index to hold the fleet', () => server!.index.size === FLEET, 30_000);
}, 180_000);

afterAll(async () => {
  await spy?.close();
  await server?.close();
  await sim?.stop();
  await broker?.stop();
  scratch?.cleanup();
});

describe('no session, no API', () => {
  it('every /api/ route but the CSRF token and the login answers 401 without a session', async () => {
    const api = server!.routes.filter((r) => r.url.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(20);
    const c = new WebClient(server!.url);
    for (const r of api) {
      const path = r.url.replace(/:[A-Za-z]+/g, 'x');
      const a = await c.call(r.method, path, r.method === 'GET' ? undefined : {});
      if (`${r.method} ${r.url}` === 'GET /api/csrf') expect(a.status).toBe(200);
      else if (`${r.method} ${r.url}` === 'POST /api/login')
        expect(a.status).toBe(403); // no CSRF token
      else
        expect([r.method, r.url, a.status, (a.body as { error?: { code?: string } }).error?.code]).toEqual([
          r.method,
          r.url,
          401,
          'WEB_UNAUTHENTICATED',
        ]);
    }
    // However the path is spelled, the router's route is guarded.
    for (const path of ['/%61pi/nodes', '/api/nodes/', '/api//nodes', '/api/./nodes', '/api/jobs/x/%65vents']) {
      const a = await c.get(path);
      expect([path, a.status]).toEqual([path, 401]);
    }
    // A made-up session id is no session either.
    const forged = await fetch(`${server!.url}/api/session`, { headers: { cookie: 'troupe_session=forged' } });
    expect(forged.status).toBe(401);
  });

  it('wrong password and unknown user get the same 401', async () => {
    const c = new WebClient(server!.url);
    const wrong = await c.login('alice', 'nope');
    const unknown = await c.login('mallory', 'nope');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and logout ends the session', async () => {
    const c = new WebClient(server!.url);
    await c.get('/api/csrf');
    const t = await c.get<{ token: string }>('/api/csrf');
    c.csrf = t.body.token;
    const res = await c.raw('POST', '/api/login', {
      body: JSON.stringify({ user: 'alice', password: 'alice-password' }),
      headers: { 'content-type': 'application/json' },
    });
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('troupe_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    c.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    expect((await c.get('/api/session')).status).toBe(200);
    expect((await c.post('/api/logout')).status).toBe(200);
    expect((await c.get('/api/session')).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('a state-changing call without the token, or with a wrong one, gets 403 and does nothing', async () => {
    const c = await loggedIn('alice');
    const before = (await c.get<{ total: number }>('/api/jobs')).body.total;
    const missing = await c.call('POST', '/api/jobs', { agent: 'rpcutil', action: 'ping' }, { csrf: false });
    expect([missing.status, (missing.body as { error: { code: string } }).error.code]).toEqual([403, 'WEB_CSRF']);
    const wrong = await c.call('POST', '/api/jobs', { agent: 'rpcutil', action: 'ping' }, { headers: { 'x-csrf-token': 'x' + c.csrf } });
    expect([wrong.status, (wrong.body as { error: { code: string } }).error.code]).toEqual([403, 'WEB_CSRF']);
    // Another session's token is not this session's: the token is bound to the cookie.
    const other = await loggedIn('wendy');
    const foreign = await c.call('POST', '/api/jobs', { agent: 'rpcutil', action: 'ping' }, { headers: { 'x-csrf-token': other.csrf! } });
    expect(foreign.status).toBe(403);
    expect((await c.get<{ total: number }>('/api/jobs')).body.total).toBe(before);
  });
});

describe('CSRF at login', () => {
  it('a new session gets a new CSRF secret: the token from before login is refused after it', async () => {
    const c = new WebClient(server!.url);
    const before = (await c.get<{ token: string }>('/api/csrf')).body.token;
    c.csrf = before;
    const login = await c.post<{ csrfToken: string }>('/api/login', { user: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const stale = await c.call('POST', '/api/filters', { name: 'stale', filter: 'role=web' }, { headers: { 'x-csrf-token': before } });
    expect([stale.status, codeOf(stale)]).toEqual([403, 'WEB_CSRF']);
    // The token the login handed out works, and so does a new one from the session.
    c.csrf = login.body.csrfToken;
    expect((await c.post('/api/filters', { name: 'fresh', filter: 'role=web' })).status).toBe(200);
    c.csrf = (await c.get<{ csrfToken: string }>('/api/session')).body.csrfToken;
    expect((await c.call('DELETE', '/api/filters/fresh')).status).toBe(200);
    expect((await c.get<{ filters: unknown[] }>('/api/filters')).body.filters).toEqual([]);
  });
});

describe('bad requests', () => {
  it('bad JSON is a 400, an oversized body a 413, a body breaking the schema a 400, a bad filter a 400 with the caret', async () => {
    const c = await loggedIn('alice');
    const bad = await c.raw('POST', '/api/jobs', { body: '{"agent": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEB_BAD_JSON');
    const big = await c.raw('POST', '/api/jobs', {
      body: JSON.stringify({ agent: 'rpcutil', action: 'ping', filter: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('WEB_TOO_LARGE');
    const extra = await c.post('/api/jobs', { agent: 'rpcutil', action: 'ping', surprise: 1 });
    expect([extra.status, (extra.body as { error: { code: string } }).error.code]).toEqual([400, 'WEB_BAD_REQUEST']);
    const filter = await c.get<{ error: { code: string; caret: { column: number } } }>(
      '/api/nodes/count?filter=' + encodeURIComponent('role=web and ('),
    );
    expect(filter.status).toBe(400);
    expect(filter.body.error.code).toBe('WEB_BAD_FILTER');
    expect(filter.body.error.caret.column).toBeGreaterThan(0);
    const inputs = await c.post<{ error: { code: string; field?: string } }>('/api/jobs', {
      agent: 'rpcutil',
      action: 'get_fact',
      inputs: {},
    });
    expect([inputs.status, inputs.body.error.code, inputs.body.error.field]).toEqual([400, 'WEB_INVALID_INPUTS', 'fact']);
    // Data plugin calls only the nodes answer: not the registry's node list, and a request using one is broadcast.
    const data = await c.get<{ error: { code: string; caret: { column: number } } }>(
      '/api/nodes/count?filter=' + encodeURIComponent('role=web and puppet().enabled=true'),
    );
    expect([data.status, data.body.error.code, data.body.error.caret.column]).toEqual([400, 'WEB_BAD_FILTER', 13]);
    const preview = await c.post<{ count: number | null }>('/api/preview', {
      agent: 'rpcutil',
      action: 'ping',
      filter: 'puppet().enabled=true',
    });
    expect([preview.status, preview.body.count]).toEqual([200, null]);
    const unknown = await c.post<{ error: { code: string } }>('/api/preview', { agent: 'rpcutil', action: 'ping', filter: 'nosuch().x=1' });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'WEB_BAD_FILTER']);
    const text = await c.raw('POST', '/api/jobs', { body: 'agent=rpcutil', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });
});

describe('roles', () => {
  it('a request outside the role scope, unfiltered, or for an action the role lacks gets 403, and the broker sees no request', async () => {
    spy = await natsConnect({ servers: broker.url.replace(/^nats:\/\//, '') });
    const seen: Array<{ subject: string; action?: string; onBehalfOf?: string; filter?: unknown }> = [];
    const subs: Subscription[] = [spy.subscribe('mcollective.broadcast.>'), spy.subscribe('mcollective.node.>')];
    for (const sub of subs)
      void (async () => {
        for await (const m of sub) {
          const frame = decodeFrame(m.data, 1 << 22) as { data: { request: string } };
          const req = JSON.parse(frame.data.request) as { message: { action: string }; on_behalf_of?: string; filter: unknown };
          seen.push({ subject: m.subject, action: req.message.action, onBehalfOf: req.on_behalf_of, filter: req.filter });
        }
      })();
    await spy.flush();
    const c = await loggedIn('wendy');
    const session = await c.get<{ permissions: unknown }>('/api/session');
    expect(session.body.permissions).toEqual({ actions: ['rpcutil.*'], scope: 'role=web', allowFleet: false, seeAllJobs: false });
    const outside = await c.post<{ error: { code: string } }>('/api/jobs', { agent: 'rpcutil', action: 'inventory', filter: 'role=db' });
    expect([outside.status, outside.body.error.code]).toEqual([403, 'WEB_OUT_OF_SCOPE']);
    // A filter reaching beyond the scope is narrowed to it: the scope is ANDed on.
    const web = server!.index.count({ fact: [], cf_class: [], agent: [], identity: [], compound: ['role=web'] }).count;
    const partly = await c.post<{ count: number; scopedFilter: string }>('/api/preview', {
      agent: 'rpcutil',
      action: 'inventory',
      filter: 'role=web or role=db',
    });
    expect(partly.body).toEqual({ count: web, scopedFilter: '(role=web or role=db) and (role=web)' });
    const stranger = await c.post<{ error: { code: string } }>('/api/jobs', {
      agent: 'rpcutil',
      action: 'inventory',
      filter: 'identity=node-00004.example.net',
    });
    expect([stranger.status, stranger.body.error.code]).toEqual([403, 'WEB_OUT_OF_SCOPE']);
    const fleet = await c.post<{ error: { code: string } }>('/api/jobs', { agent: 'rpcutil', action: 'inventory' });
    expect([fleet.status, fleet.body.error.code]).toEqual([403, 'WEB_FLEET_REFUSED']);
    const action = await c.post<{ error: { code: string } }>('/api/jobs', { agent: 'puppet', action: 'disable', filter: 'role=web' });
    expect([action.status, action.body.error.code]).toEqual([403, 'WEB_FORBIDDEN_ACTION']);
    const preview = await c.post('/api/preview', { agent: 'rpcutil', action: 'inventory', filter: 'role=db' });
    expect(preview.status).toBe(403);
    expect((await c.get<{ agents: Array<{ name: string }> }>('/api/agents')).body.agents.map((a) => a.name)).toEqual(['rpcutil']);

    // The control: an allowed request of the same user. The spy's connection sees messages in the order the
    // server published them, so had any refused request gone out, it would be seen before this one.
    const ok = await c.post<{ count: number; scopedFilter: string }>('/api/preview', {
      agent: 'rpcutil',
      action: 'ping',
      filter: 'os.family=Debian',
    });
    expect(ok.body.scopedFilter).toBe('(os.family=Debian) and (role=web)');
    const job = await runJob(c, { agent: 'rpcutil', action: 'ping', filter: 'os.family=Debian' });
    expect(job.end.state).toBe('done');
    expect(job.rows.size).toBe(ok.body.count);
    expect(job.rows.size).toBeLessThan(web);
    await waitFor('the control request at the spy', () => seen.length >= 1);
    await spy.flush();
    // The index's match of the scoped filter goes out as one broadcast, as mco's request would.
    expect(seen.map((m) => m.subject)).toEqual(['mcollective.broadcast.agent.rpcutil']);
    expect(seen.every((m) => m.action === 'ping' && m.onBehalfOf === 'wendy')).toBe(true);
    // The scope travels in the request too, so the nodes check it themselves.
    expect(seen[0]!.filter).toMatchObject({ compound: ['os.family=Debian', 'role=web'] });
  });
});

describe('jobs', () => {
  let pingJob: string;

  it('a ping of 1,000 simulated nodes streams all 1,000 replies over SSE, with the final box score', async () => {
    const c = await loggedIn('alice');
    const count = await c.get<{ count: number; total: number }>('/api/nodes/count');
    expect(count.body).toEqual({ count: FLEET, total: FLEET, sites: [], unreachable: [] });
    const job = await runJob(c, { agent: 'rpcutil', action: 'ping' });
    pingJob = job.id;
    expect(job.rows.size).toBe(FLEET);
    expect(job.end).toMatchObject({ state: 'done', stats: { ok: FLEET, failed: 0, noReply: 0, pending: 0, total: FLEET }, noReply: [] });
    const list = await c.get<{ jobs: Array<{ id: string; user: string }> }>('/api/jobs?limit=1');
    expect(list.body.jobs[0]).toMatchObject({ id: job.id, user: 'alice' });
    const page = await c.get<{ total: number; replies: unknown[] }>(`/api/jobs/${job.id}/replies?offset=990&limit=50`);
    expect([page.body.total, page.body.replies.length]).toEqual([FLEET, 10]);
  });

  it("records the web user in the request: on_behalf_of in the nodes' audit lines", async () => {
    await waitFor('audit lines', () => existsSync(auditFile) && readFileSync(auditFile, 'utf8').includes('"on_behalf_of":"alice"'));
    const lines = readFileSync(auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const alice = lines.filter((l) => l.on_behalf_of === 'alice' && l.action === 'ping');
    expect(alice.length).toBe(FLEET);
    expect(alice[0]!.decision).toBe('allowed');
    expect(String(alice[0]!.caller)).toMatch(/^user=/);
    expect(lines.filter((l) => l.on_behalf_of === 'wendy').every((l) => l.action === 'ping')).toBe(true);
  });

  it('reruns on the failed nodes, and on the silent ones, address exactly those nodes', async () => {
    const c = await loggedIn('alice');
    const inv = await runJob(c, { agent: 'rpcutil', action: 'agent_inventory', filter: 'role=web or role=db' });
    const failed = [...inv.rows.values()].filter((r) => r.statuscode !== 0).map((r) => r.identity);
    expect(failed.sort()).toEqual(FAILING.filter((n) => inv.rows.has(n)).sort());
    expect(failed.length).toBeGreaterThan(0);
    const again = await c.post<{ id: string }>(`/api/jobs/${inv.id}/rerun`, { on: 'failed' });
    expect(again.status).toBe(202);
    const rows = new Map<string, unknown>();
    await c.events(`/api/jobs/${again.body.id}/events`, (e, d) => {
      if (e === 'replies') for (const r of d as Array<{ identity: string }>) rows.set(r.identity, r);
    });
    expect([...rows.keys()].sort()).toEqual(failed.sort());
    const detail = await c.get<{ rerunOf: unknown; expected: number }>(`/api/jobs/${again.body.id}`);
    expect(detail.body).toMatchObject({ rerunOf: { id: inv.id, on: 'failed' }, expected: failed.length });

    const stats = await runJob(c, { agent: 'rpcutil', action: 'daemon_stats', filter: 'identity=/^node-0001[01]\\./' });
    expect(stats.end).toMatchObject({ state: 'done', noReply: SILENT });
    expect((await c.post(`/api/jobs/${stats.id}/rerun`, { on: 'failed' })).status).toBe(409);
    const silent = await c.post<{ id: string }>(`/api/jobs/${stats.id}/rerun`, { on: 'noreply' });
    const re = await runJobEvents(c, silent.body.id);
    expect(re.end).toMatchObject({ noReply: SILENT, stats: { total: 1 } });
  });

  it('sends to more nodes than the direct addressing threshold as one broadcast, still naming the silent ones from the index', async () => {
    const watch = await natsConnect({ servers: broker.url.replace(/^nats:\/\//, '') });
    try {
      const subjects: string[] = [];
      for (const sub of [watch.subscribe('mcollective.broadcast.>'), watch.subscribe('mcollective.node.>')])
        void (async () => {
          for await (const m of sub) subjects.push(m.subject);
        })();
      await watch.flush();
      const c = await loggedIn('alice');
      // node-00001 to node-00019: nineteen nodes, one of them silent for daemon_stats.
      const filter = 'identity=/^node-000[01][0-9]\\./';
      const matched = (await c.get<{ count: number }>(`/api/nodes/count?filter=${encodeURIComponent(filter)}`)).body.count;
      const job = await runJob(c, { agent: 'rpcutil', action: 'daemon_stats', filter });
      expect(matched).toBeGreaterThan(10);
      expect(job.end).toMatchObject({ state: 'done', noReply: SILENT, stats: { ok: matched - 1, noReply: 1, total: matched } });
      await watch.flush();
      expect(subjects).toEqual(['mcollective.broadcast.agent.rpcutil']);
      // A rerun is a hand-picked subset: only those nodes are addressed.
      subjects.length = 0;
      const again = await c.post<{ id: string }>(`/api/jobs/${job.id}/rerun`, { on: 'noreply' });
      expect((await runJobEvents(c, again.body.id)).end).toMatchObject({ noReply: SILENT });
      await watch.flush();
      expect(subjects).toEqual(SILENT.map((n) => `mcollective.node.${n}`));
    } finally {
      await watch.close();
    }
  });

  it('cancels a running job: it stops waiting, and the silent nodes count as no reply', async () => {
    const c = await loggedIn('alice');
    const started = await c.post<{ id: string }>('/api/jobs', {
      agent: 'rpcutil',
      action: 'daemon_stats',
      filter: 'identity=/^node-0001[01]\\./',
    });
    const id = started.body.id;
    await waitFor(
      'the reply of the node that answers',
      async () => (await c.get<{ stats: { ok: number } }>(`/api/jobs/${id}`)).body.stats.ok === 1,
    );
    const cancelled = await c.post(`/api/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    const detail = await c.get<Record<string, unknown>>(`/api/jobs/${id}`);
    expect(detail.body).toMatchObject({ state: 'cancelled', noReply: SILENT, stats: { ok: 1, noReply: 1, pending: 0 } });
    expect((await c.post(`/api/jobs/${id}/cancel`)).status).toBe(409);
  });

  it('keeps whole replies while rows are cut at 200 characters', async () => {
    const c = await loggedIn('alice');
    const job = await runJob(c, { agent: 'rpcutil', action: 'inventory', filter: 'identity=node-00001.example.net' });
    const row = job.rows.get('node-00001.example.net')!;
    expect(row.truncated).toBe(true);
    for (const v of Object.values(row.data as Record<string, unknown>))
      if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(200);
    const whole = await c.get<{ data: Record<string, unknown> }>(`/api/jobs/${job.id}/replies/node-00001.example.net`);
    expect(JSON.stringify(whole.body.data).length).toBeGreaterThan(JSON.stringify(row.data).length);
  });

  it('the history, replies included, survives a restart of the server', async () => {
    await server!.jobs.flushWrites();
    await server!.close();
    server = await start();
    const c = await loggedIn('alice');
    const job = await c.get<{ state: string; stats: { ok: number } }>(`/api/jobs/${pingJob}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ state: 'done', stats: { ok: FLEET } });
    const replies = await c.get<{ total: number }>(`/api/jobs/${pingJob}/replies?limit=1`);
    expect(replies.body.total).toBe(FLEET);
    let end: unknown;
    await c.events(`/api/jobs/${pingJob}/events`, (e, d) => void (e === 'end' && (end = d)));
    expect(end).toMatchObject({ state: 'done' });
  });
});

describe('who sees which jobs', () => {
  it("a user sees only the jobs they started: another user's is a 404 on every route, as an unknown id; see_all_jobs sees all", async () => {
    const olga = await loggedIn('olga');
    const alice = await loggedIn('alice');
    const mine = await runJob(olga, { agent: 'rpcutil', action: 'daemon_stats', filter: 'identity=/^node-0001[01]\\./' });
    const theirs = await runJob(alice, { agent: 'rpcutil', action: 'ping', filter: 'identity=node-00002.example.net' });
    expect(theirs.end.state).toBe('done');

    const list = await olga.get<{ total: number; jobs: Array<{ id: string; user: string }> }>('/api/jobs?limit=500');
    expect(list.body.jobs.map((j) => j.id)).toEqual([mine.id]);
    expect(list.body.total).toBe(1);
    const unknown = await olga.get<{ error: { message: string } }>('/api/jobs/nosuchjob');
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'WEB_NOT_FOUND']);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/jobs/${theirs.id}`],
      ['GET', `/api/jobs/${theirs.id}/replies`],
      ['GET', `/api/jobs/${theirs.id}/replies/node-00002.example.net`],
      ['GET', `/api/jobs/${theirs.id}/events`],
      ['POST', `/api/jobs/${theirs.id}/rerun`, { on: 'noreply' }],
      ['POST', `/api/jobs/${theirs.id}/cancel`, {}],
    ];
    for (const [method, path, body] of routes) {
      const a = await olga.call(method, path, body);
      expect([method, path, a.status, codeOf(a)]).toEqual([method, path, 404, 'WEB_NOT_FOUND']);
    }
    const page = await olga.get<{ error: { message: string } }>(`/api/jobs/${theirs.id}`);
    expect(page.body.error.message).toBe(unknown.body.error.message.replace('nosuchjob', theirs.id));
    // The node page lists the recent jobs of the user only.
    const node = await olga.get<{ jobs: Array<{ id: string }> }>('/api/nodes/node-00002.example.net');
    expect(node.body.jobs.map((j) => j.id)).not.toContain(theirs.id);
    expect((await alice.get<{ jobs: Array<{ id: string }> }>('/api/nodes/node-00002.example.net')).body.jobs.map((j) => j.id)).toContain(
      theirs.id,
    );
    // The user's own job: every route answers.
    expect((await olga.get(`/api/jobs/${mine.id}`)).status).toBe(200);
    expect((await olga.post(`/api/jobs/${mine.id}/rerun`, { on: 'noreply' })).status).toBe(202);

    // A role with see_all_jobs sees everyone's.
    const all = await alice.get<{ jobs: Array<{ id: string; user: string }> }>('/api/jobs?limit=500');
    expect(all.body.jobs.map((j) => j.id)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(new Set(all.body.jobs.map((j) => j.user))).toEqual(new Set(['alice', 'olga', 'wendy']));
    expect((await alice.get(`/api/jobs/${mine.id}`)).status).toBe(200);
    expect((await alice.get(`/api/jobs/${mine.id}/replies`)).status).toBe(200);
  });
});

async function runJobEvents(c: WebClient, id: string) {
  let end: Record<string, unknown> | undefined;
  await c.events(`/api/jobs/${id}/events`, (e, d) => void (e === 'end' && (end = d as Record<string, unknown>)));
  return { end: end! };
}

describe('nodes', () => {
  it('pages the node list with chosen facts, names the facts, shows a node with its recent jobs, and keeps saved filters per user', async () => {
    const c = await loggedIn('alice');
    const page = await c.get<{ total: number; nodes: Array<{ identity: string; facts: Record<string, unknown> }> }>(
      '/api/nodes?filter=' + encodeURIComponent('role=db') + '&offset=10&limit=5&facts=os.family,role',
    );
    expect(page.body.total).toBe(FLEET / 8);
    expect(page.body.nodes).toHaveLength(5);
    expect(page.body.nodes[0]!.facts).toEqual({ 'os.family': expect.any(String) as unknown, role: 'db' });
    expect((await c.get<{ names: string[] }>('/api/facts')).body.names).toEqual(expect.arrayContaining(['role', 'os.family']));
    const node = await c.get<{ identity: string; facts: Record<string, unknown>; jobs: Array<{ action: string }> }>(
      '/api/nodes/node-00001.example.net',
    );
    expect(node.body.identity).toBe('node-00001.example.net');
    expect(node.body.facts.role).toBe('web');
    expect(node.body.jobs.map((j) => j.action)).toContain('ping');
    expect((await c.get('/api/nodes/nosuch.example.net')).status).toBe(404);
    expect((await c.post('/api/filters', { name: 'web servers', filter: 'role=web' })).status).toBe(200);
    expect((await c.post('/api/filters', { name: 'broken', filter: 'role=(' })).status).toBe(400);
    expect((await c.get('/api/filters')).body).toEqual({ filters: [{ name: 'web servers', filter: 'role=web' }] });
    const w = await loggedIn('wendy');
    expect((await w.get('/api/filters')).body).toEqual({ filters: [] });
    expect((await c.call('DELETE', `/api/filters/${encodeURIComponent('web servers')}`)).status).toBe(200);
    expect((await c.get('/api/filters')).body).toEqual({ filters: [] });
  });
});

describe('plans', () => {
  const plan = (sleep: number) =>
    `name: web-ping\nnodes:\n  targets:\n    filter: { fact: role=web }\nsteps:\n  - name: wait\n    sleep: ${sleep}\n` +
    `  - name: ping\n    nodes: targets\n    rpc: { agent: rpcutil, action: ping, timeout: 3 }\n    batch: { size: 100 }\n`;

  it('starts a plan from its YAML text, streams its state to the end, and lists it', async () => {
    const c = await loggedIn('alice');
    const started = await c.post<{ id: string }>('/api/plans', { plan: plan(0) });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    let end: Record<string, unknown> | undefined;
    let states = 0;
    await c.events(`/api/plans/${started.body.id}/events`, (e, d) => {
      if (e === 'state') states++;
      if (e === 'end') end = d as Record<string, unknown>;
    });
    expect(states).toBeGreaterThan(0);
    expect(end).toMatchObject({ id: started.body.id, state: 'succeeded' });
    const list = await c.get<{ runs: Array<{ id: string; state: string }> }>('/api/plans');
    expect(list.body.runs.find((r) => r.id === started.body.id)).toMatchObject({ state: 'succeeded' });
    const bad = await c.post<{ error: { code: string } }>('/api/plans', { plan: 'name: [' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'WEB_BAD_REQUEST']);
    // A scoped role may not run plans, which may run anything anywhere.
    const w = await loggedIn('wendy');
    expect((await w.post('/api/plans', { plan: plan(0) })).status).toBe(403);
  });

  it("records the web user in every request the plan sends: on_behalf_of in the nodes' audit lines", async () => {
    const c = await loggedIn('olga');
    const text =
      'name: web-behalf\nnodes:\n  one:\n    filter: { identity: node-00005.example.net }\n    test: ping\n' +
      'steps:\n  - name: info\n    nodes: one\n    rpc: { agent: rpcutil, action: collective_info, timeout: 3 }\n';
    const started = await c.post<{ id: string }>('/api/plans', { plan: text });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    let end: Record<string, unknown> | undefined;
    await c.events(`/api/plans/${started.body.id}/events`, (e, d) => void (e === 'end' && (end = d as Record<string, unknown>)));
    expect(end).toMatchObject({ state: 'succeeded' });
    const lines = await waitFor('the audit line of the plan step', () => {
      const found = readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.action === 'collective_info');
      return found.length > 0 && found;
    });
    expect(lines.map((l) => [l.identity, l.on_behalf_of])).toEqual([['node-00005.example.net', 'olga']]);
  });

  it("a user sees only the plan runs they started: another user's is a 404; see_all_jobs sees all", async () => {
    const alice = await loggedIn('alice');
    const olga = await loggedIn('olga');
    const theirs = await alice.post<{ id: string }>('/api/plans', { plan: plan(0) });
    const mine = await olga.post<{ id: string }>('/api/plans', { plan: plan(0) });
    for (const id of [theirs.body.id, mine.body.id])
      await waitFor('the plan run to end', async () => (await alice.get<{ state: string }>(`/api/plans/${id}`)).body.state === 'succeeded');
    const listed = await olga.get<{ runs: Array<{ id: string; caller: string }> }>('/api/plans');
    expect(listed.body.runs.map((r) => r.id)).toContain(mine.body.id);
    expect(listed.body.runs.every((r) => r.caller === 'web:olga')).toBe(true);
    for (const [method, path] of [
      ['GET', `/api/plans/${theirs.body.id}`],
      ['GET', `/api/plans/${theirs.body.id}/events`],
      ['POST', `/api/plans/${theirs.body.id}/pause`],
      ['POST', `/api/plans/${theirs.body.id}/resume`],
    ] as const) {
      const a = await olga.call(method, path, method === 'POST' ? {} : undefined);
      expect([path, a.status, codeOf(a)]).toEqual([path, 404, 'WEB_NOT_FOUND']);
    }
    expect((await olga.get(`/api/plans/${mine.body.id}`)).status).toBe(200);
    const all = await alice.get<{ runs: Array<{ id: string }> }>('/api/plans');
    expect(all.body.runs.map((r) => r.id)).toEqual(expect.arrayContaining([theirs.body.id, mine.body.id]));
    expect((await alice.get(`/api/plans/${mine.body.id}`)).status).toBe(200);
  });

  it('streams each finish once across a pause and a resume, to watchers from before, during and after the pause', async () => {
    const c = await loggedIn('alice');
    const started = await c.post<{ id: string }>('/api/plans', { plan: plan(3) });
    expect(started.status).toBe(202);
    const id = started.body.id;
    /** The event list as the app keeps it: the snapshot's events, then each state's `last`. */
    const watch = (until: number) => {
      const events: Array<{ type: string; state?: string }> = [];
      let end: Record<string, unknown> | undefined;
      const done = c.events(`/api/plans/${id}/events`, (e, d) => {
        const state = d as { events?: typeof events; last?: (typeof events)[number] };
        if (e === 'state' && state.events) events.splice(0, events.length, ...state.events);
        else if (e === 'state' && state.last) events.push(state.last);
        if (e === 'end') end = d as Record<string, unknown>;
      });
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the plan stream did not end')), until).unref());
      return Promise.race([done, timeout]).then(() => ({ events, end, finishes: events.filter((e) => e.type === 'finish') }));
    };
    const before = watch(15_000);
    await waitFor(
      'the plan to be sleeping',
      async () => (await c.get<{ currentStep?: string }>(`/api/plans/${id}`)).body.currentStep === 'wait',
    );
    expect((await c.post(`/api/plans/${id}/pause`)).status).toBe(200);
    const first = await before;
    expect(first.end).toMatchObject({ state: 'running' });
    expect(first.finishes).toEqual([expect.objectContaining({ state: 'running' })]);
    const during = watch(20_000);
    expect((await c.post(`/api/plans/${id}/resume`)).status).toBe(202);
    const after = watch(20_000);
    for (const w of [await during, await after]) {
      expect(w.end).toMatchObject({ state: 'succeeded' });
      expect(w.finishes.map((f) => f.state)).toEqual(['running', 'succeeded']);
    }
  });

  it('pauses a running plan and resumes it to the end', async () => {
    const c = await loggedIn('alice');
    const started = await c.post<{ id: string }>('/api/plans', { plan: plan(3) });
    expect(started.status).toBe(202);
    const id = started.body.id;
    expect((await c.post(`/api/plans/${id}/pause`)).status).toBe(200);
    const paused = await c.get<{ state: string; paused: boolean }>(`/api/plans/${id}`);
    expect(paused.body).toMatchObject({ state: 'running', paused: true });
    expect((await c.post(`/api/plans/${id}/resume`)).status).toBe(202);
    await waitFor(
      'the resumed plan to end',
      async () => (await c.get<{ state: string }>(`/api/plans/${id}`)).body.state === 'succeeded',
      30_000,
    );
  });
});

describe('the app', () => {
  it('serves the built app, index.html for any page URL, and security headers', async () => {
    const appDir = `${scratch.dir}/app`;
    mkdirSync(`${appDir}/assets`, { recursive: true });
    scratch.file('app/index.html', '<!doctype html><title>troupe</title><script type="module" src="/assets/app.js"></script>');
    scratch.file('app/assets/app.js', 'export {};');
    const app = await start({ appDir });
    try {
      const home = await fetch(app.url + '/');
      expect(await home.text()).toMatch(/<title>troupe<\/title>/);
      expect(home.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(home.headers.get('x-frame-options')).toBe('DENY');
      expect(await (await fetch(app.url + '/jobs/abc123')).text()).toMatch(/<title>troupe<\/title>/);
      const js = await fetch(app.url + '/assets/app.js');
      expect([js.status, js.headers.get('content-type')]).toEqual([200, expect.stringMatching(/javascript/) as unknown]);
      expect((await fetch(app.url + '/api/nope')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('login rate limit', () => {
  it('answers 429 once a client address has used up its login attempts for the minute', async () => {
    const limited = await start({ port: 0, config: loadConfig(clientCfg, { 'web.login_rate_limit': '3' }) });
    try {
      const c = new WebClient(limited.url);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await c.login('alice', 'wrong')).status);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const right = await c.login('alice', 'alice-password');
      expect([right.status, (right.body as { error: { code: string } }).error.code]).toEqual([429, 'WEB_RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  });
});
