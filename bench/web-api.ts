// The web console's node list at fleet scale: 50,000 registration records written into the registry bucket, read
// by `mco web`'s in-memory index (a watch), then pages of `GET /api/nodes` and `/api/nodes/count` with filters of
// every kind, timed over loopback HTTP (an upper bound on the server's own time) and in the index alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { loadConfig } from '../src/config/index.js';
import { REGISTRATION_PROTOCOL, encodeRegistration, registryKey, type RegistrationRecord } from '../src/protocol/index.js';
import { generateFleet } from '../src/server/fleet.js';
import { startWebServer } from '../src/web/server.js';
import { parseWebFilter } from '../src/web/filters.js';
import { hashPassword, saveUsers } from '../src/web/users.js';

export interface WebApiQuery {
  what: string;
  path: string;
  /** Median and 95th percentile over the runs, ms, loopback HTTP round trip. */
  httpMs: number;
  httpP95Ms: number;
  /** Median of the index's own time (filter, sort, page), ms. */
  indexMs: number;
  total: number;
}

export interface WebApiRun {
  nodes: number;
  /** Writing the records, and the index holding all of them after the server started. */
  loadMs: number;
  indexReadyMs: number;
  queries: WebApiQuery[];
}

const FILTERS: Array<[string, string, string]> = [
  ['first page, no filter', '', ''],
  ['fact', 'role=web', ''],
  ['compound', 'role=web and os.family=Debian or role=db and not profile::ams1', ''],
  ['regex identity', 'identity=/^node-[0-4]\\d{3}1\\./', ''],
  ['numeric fact, sorted by fact', 'processors.count>=8', 'os.family'],
  ['deep page', 'role=app', ''],
];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
};

/** Runs against the JetStream broker at `url`, which must have no registry bucket of its own yet. */
export async function webApiBench(url: string, n: number, repeat: number): Promise<WebApiRun> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-web-'));
  const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
  try {
    const t0 = performance.now();
    const kv = await nc.jetstream().views.kv('troupe_registry', { history: 1, ttl: 3600_000 });
    const now = Math.floor(Date.now() / 1000);
    const fleet = generateFleet(n).nodes;
    for (let i = 0; i < fleet.length; i += 1000) {
      await Promise.all(
        fleet.slice(i, i + 1000).map((node) => {
          const record: RegistrationRecord = {
            protocol: REGISTRATION_PROTOCOL,
            identity: node.identity,
            collectives: ['mcollective'],
            main_collective: 'mcollective',
            facts: node.facts ?? {},
            classes: node.classes ?? [],
            agents: ['rpcutil', 'puppet'],
            version: 'bench',
            last_seen: now,
          };
          return kv.put(registryKey(node.identity), encodeRegistration(record));
        }),
      );
    }
    const loadMs = performance.now() - t0;
    const cfg = join(dir, 'client.cfg');
    writeFileSync(cfg, `middleware_hosts = ${url}\nsecurityprovider = insecure\nweb.port = 0\n`);
    writeFileSync(join(dir, 'web-roles.yaml'), 'roles:\n  admin:\n    actions: ["*"]\n    see_all_jobs: true\n');
    saveUsers(join(dir, 'web-users.yaml'), { users: { bench: { hash: await hashPassword('bench-password'), roles: ['admin'] } } });
    const t1 = performance.now();
    const server = await startWebServer({ config: loadConfig(cfg), configFile: cfg, insecureHttp: true, port: 0 });
    try {
      while (server.index.size < n) {
        if (performance.now() - t1 > 120_000) throw new Error(`the index holds ${server.index.size} of ${n} records after 2 minutes`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const indexReadyMs = performance.now() - t1;
      // Log in as a browser would.
      const csrf = await fetch(`${server.url}/api/csrf`);
      const jar = csrf.headers.getSetCookie().map((c) => c.split(';')[0]);
      const { token } = (await csrf.json()) as { token: string };
      const login = await fetch(`${server.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': token, cookie: jar.join('; ') },
        body: JSON.stringify({ user: 'bench', password: 'bench-password' }),
      });
      if (login.status !== 200) throw new Error(`login: ${login.status}`);
      jar.push(...login.headers.getSetCookie().map((c) => c.split(';')[0]));
      const cookie = jar.join('; ');
      const queries: WebApiQuery[] = [];
      for (const [what, filter, sort] of FILTERS) {
        const offset = what === 'deep page' ? 5000 : 0;
        const q = `filter=${encodeURIComponent(filter)}&offset=${offset}&limit=100&facts=os.family,role,processors.count${sort ? `&sort=${sort}` : ''}`;
        for (const path of [`/api/nodes?${q}`, `/api/nodes/count?filter=${encodeURIComponent(filter)}`]) {
          const http: number[] = [];
          let total = 0;
          for (let i = 0; i < repeat + 1; i++) {
            const s = performance.now();
            const res = await fetch(server.url + path, { headers: { cookie } });
            const body = (await res.json()) as { total?: number; count?: number };
            if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
            if (i > 0) http.push(performance.now() - s); // the first warms the filter cache
            total = body.count ?? body.total ?? 0;
          }
          const index: number[] = [];
          const parsed = parseWebFilter(filter);
          for (let i = 0; i < repeat; i++) {
            const s = performance.now();
            if (path.includes('/count')) server.index.count(parsed);
            else
              server.index.query({
                filter: parsed,
                offset,
                limit: 100,
                facts: ['os.family', 'role', 'processors.count'],
                sort: sort || undefined,
              });
            index.push(performance.now() - s);
          }
          queries.push({
            what: `${path.includes('/count') ? 'count' : 'list'}: ${what}`,
            path,
            httpMs: percentile(http, 0.5),
            httpP95Ms: percentile(http, 0.95),
            indexMs: percentile(index, 0.5),
            total,
          });
        }
      }
      return { nodes: n, loadMs, indexReadyMs, queries };
    } finally {
      await server.close();
    }
  } finally {
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
