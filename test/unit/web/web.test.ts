// The web console's pure parts: password hashes, roles and their scopes, the filter box's language, the node index,
// reply rows and the redaction of secret inputs.
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, loadUsers, saveUsers } from '../../../src/web/users.js';
import { actionMatches, parseRoles, permissionsFor, permissionsOf } from '../../../src/web/roles.js';
import { parseWebFilter, scopedText, withScope } from '../../../src/web/filters.js';
import { NodeIndex } from '../../../src/web/node-index.js';
import { redactInputs, rowOf, Job } from '../../../src/web/jobs.js';
import { WebError } from '../../../src/web/errors.js';
import { REGISTRATION_PROTOCOL, type RegistrationRecord } from '../../../src/protocol/index.js';
import { scratchDir } from '../../helpers/scratch.js';

const record = (identity: string, facts: Record<string, unknown>, collectives = ['mcollective']): RegistrationRecord => ({
  protocol: REGISTRATION_PROTOCOL,
  identity,
  collectives,
  main_collective: collectives[0]!,
  facts,
  classes: facts.role === 'web' ? ['nginx'] : [],
  agents: facts.role === 'db' ? ['rpcutil', 'puppet'] : ['rpcutil'],
  version: 't',
  last_seen: 0,
});

describe('passwords', () => {
  it('hashes with scrypt and a salt of its own each time, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct hors', a)).toBe(false);
    expect(await verifyPassword('x', undefined)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
  });

  it('keeps the users file readable by its owner only, YAML or JSON, and refuses a malformed one', () => {
    const s = scratchDir('troupe-web-users-');
    try {
      for (const name of ['u.yaml', 'u.json']) {
        saveUsers(`${s.dir}/${name}`, { users: { a: { hash: 'scrypt$1$1$1$a$b', roles: ['x'] } } });
        expect(loadUsers(`${s.dir}/${name}`).users.a).toEqual({ hash: 'scrypt$1$1$1$a$b', roles: ['x'] });
      }
      expect(loadUsers(`${s.dir}/missing.yaml`)).toEqual({ users: {} });
      s.file('bad.yaml', 'users:\n  a: { roles: admin }\n');
      expect(() => loadUsers(`${s.dir}/bad.yaml`)).toThrow(/user 'a' needs/);
      s.file('worse.json', '{');
      expect(() => loadUsers(`${s.dir}/worse.json`)).toThrow(WebError);
    } finally {
      s.cleanup();
    }
  });
});

describe('roles', () => {
  const roles = parseRoles(
    {
      roles: {
        admin: { actions: ['*'], see_all_jobs: true },
        ops: { actions: ['*'], see_all_jobs: false },
        puppet: { actions: ['puppet.*', 'rpcutil.ping'], scope: 'role=web', allow_fleet: false },
        dbs: { actions: ['puppet.status'], scope: 'role=db' },
      },
    },
    'roles.yaml',
  );

  it('matches agent.action patterns', () => {
    expect(actionMatches('*', 'puppet', 'disable')).toBe(true);
    expect(actionMatches('puppet.*', 'puppet', 'disable')).toBe(true);
    expect(actionMatches('puppet.*', 'rpcutil', 'ping')).toBe(false);
    expect(actionMatches('*.ping', 'rpcutil', 'ping')).toBe(true);
    expect(actionMatches('rpcutil.ping', 'rpcutil', 'inventory')).toBe(false);
  });

  it('combines the roles that allow an action: their scopes ORed, the fleet allowed when any allows it', () => {
    expect(permissionsFor(roles, ['puppet'], 'puppet', 'disable')).toEqual({
      actions: ['puppet.*', 'rpcutil.ping'],
      scope: 'role=web',
      allowFleet: false,
      seeAllJobs: false,
    });
    expect(permissionsFor(roles, ['puppet', 'dbs'], 'puppet', 'status')).toMatchObject({
      scope: '(role=web) or (role=db)',
      allowFleet: true,
    });
    expect(permissionsFor(roles, ['puppet', 'dbs'], 'puppet', 'disable').scope).toBe('role=web');
    expect(permissionsFor(roles, ['admin', 'puppet'], 'puppet', 'disable').scope).toBeNull();
    expect(() => permissionsFor(roles, ['dbs'], 'puppet', 'disable')).toThrow(
      expect.objectContaining({ code: 'WEB_FORBIDDEN_ACTION' }) as Error,
    );
    expect(() => permissionsFor(roles, ['nosuchrole'], 'rpcutil', 'ping')).toThrow(WebError);
    expect(permissionsOf(roles, [])).toEqual({ actions: [], scope: null, allowFleet: false, seeAllJobs: false });
  });

  it("sees every user's jobs only when a role held says see_all_jobs: true (default false)", () => {
    expect(permissionsOf(roles, ['admin']).seeAllJobs).toBe(true);
    expect(permissionsOf(roles, ['ops']).seeAllJobs).toBe(false);
    expect(permissionsOf(roles, ['puppet', 'dbs']).seeAllJobs).toBe(false);
    expect(permissionsOf(roles, ['ops', 'admin']).seeAllJobs).toBe(true);
    expect(roles.get('puppet')!.see_all_jobs).toBe(false);
  });

  it.each([
    [{ roles: { r: { actions: 'puppet.*' } } }, /list of agent.action/],
    [{ roles: { r: { actions: ['puppet'] } } }, /list of agent.action/],
    [{ roles: { r: { actions: ['*'], scope: 'role=(' } } }, /scope/],
    [{ roles: { r: { actions: ['*'], scope: 'identity=/^web/' } } }, /fact and class terms only/],
    [{ roles: { r: { actions: ['*'], allow_fleet: 'no' } } }, /allow_fleet/],
    [{ roles: { r: { actions: ['*'], see_all_jobs: 'yes' } } }, /'see_all_jobs' must be true or false/],
    [{ roles: [] }, /expected a map/],
  ])('refuses a bad roles file: %j', (raw, message) => {
    expect(() => parseRoles(raw, 'roles.yaml')).toThrow(message);
  });
});

describe('the filter box', () => {
  it('is the compound language, with identity and agent terms ANDed at the top level', () => {
    expect(parseWebFilter('')).toEqual({ fact: [], cf_class: [], agent: [], identity: [], compound: [] });
    expect(parseWebFilter('role=web and not nginx').compound).toEqual(['role=web and not nginx']);
    expect(parseWebFilter('identity=/^web/ and agent=puppet and role=web')).toEqual({
      fact: [],
      cf_class: [],
      agent: ['puppet'],
      identity: ['/^web/'],
      compound: ['role == web'],
    });
  });

  it.each([
    ['role=web and (', 13],
    ['role=web or identity=a', 12],
    ['identity>3', 0],
    ['identity=a and identity=b', 15],
  ])('answers %s with a 400 and the caret at %d', (text, column) => {
    let error: unknown;
    try {
      parseWebFilter(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WebError);
    expect((error as WebError).status).toBe(400);
    expect((error as WebError).caret).toEqual({ column, text });
  });

  it('ANDs the scope on, and says so', () => {
    expect(withScope(parseWebFilter('os.family=Debian'), 'role=web').compound).toEqual(['os.family=Debian', 'role=web']);
    expect(scopedText('os.family=Debian', 'role=web')).toBe('(os.family=Debian) and (role=web)');
    expect(scopedText('', 'role=web')).toBe('role=web');
    expect(scopedText(' x ', null)).toBe('x');
  });
});

describe('the node index', () => {
  const build = (now = 1_000_000) => {
    const index = new NodeIndex('mcollective', () => now);
    for (let i = 0; i < 30; i++)
      index.put(
        record(`n${String(i).padStart(2, '0')}`, {
          role: ['web', 'db', 'app'][i % 3],
          cpus: i,
          os: { family: i % 2 ? 'RedHat' : 'Debian' },
        }),
        1000 + i,
      );
    index.put(record('other', { role: 'web' }, ['dev']), 2000);
    return index;
  };

  it('lists the nodes of its collective, filtered, sorted and paged, with the facts asked for', () => {
    const index = build();
    expect(index.count(parseWebFilter(''))).toEqual({ count: 30, total: 30 });
    const page = index.query({ filter: parseWebFilter('role=web'), offset: 2, limit: 3, facts: ['os.family', 'missing'] });
    expect(page.total).toBe(10);
    expect(page.nodes.map((n) => n.identity)).toEqual(['n06', 'n09', 'n12']);
    expect(page.nodes[0]!.facts).toEqual({ 'os.family': 'Debian' });
    const byCpu = index.query({ filter: parseWebFilter('agent=puppet'), offset: 0, limit: 2, facts: ['cpus'], sort: '-cpus' });
    expect(byCpu.nodes.map((n) => n.facts.cpus)).toEqual([28, 25]);
    expect(index.facts()).toEqual(['cpus', 'os', 'os.family', 'role']);
  });

  it('keeps the newer record of a node, drops a node that left the collective, and hides records past the max age', () => {
    const index = build();
    index.put(record('n00', { role: 'db' }), 999);
    expect(index.get('n00')!.record.facts.role).toBe('web');
    index.put(record('n00', { role: 'db' }), 5000);
    expect(index.get('n00')!.record.facts.role).toBe('db');
    index.put(record('n01', { role: 'db' }, ['dev']), 5000);
    expect(index.get('n01')).toBeUndefined();
    index.maxAgeMs = 1_000_000 - 1010;
    expect(index.count(parseWebFilter('')).total).toBe(21); // n10…n29 and the renewed n00
  });

  it("keeps each site's nodes apart: a re-read or removal touches its own site, and an unreachable site's nodes are marked", () => {
    let now = 10_000;
    const index = new NodeIndex('mcollective', () => now);
    index.put(record('a1', {}), 9000, 'ams');
    index.put(record('a2', {}), 9000, 'ams');
    index.put(record('e1', {}), 9000, 'edge');
    // A node that moved to edge is listed once, by its newer record; ams's removal of its old key leaves it.
    index.put(record('a2', {}), 9500, 'edge');
    index.remove('a2', 'ams');
    expect(index.get('a2')?.site).toBe('edge');
    index.replace([{ record: record('a3', {}), storedAt: 9600 }], 'ams');
    expect(index.query({ filter: parseWebFilter(''), offset: 0, limit: 10, facts: [] }).nodes.map((n) => [n.identity, n.site])).toEqual([
      ['a2', 'edge'],
      ['a3', 'ams'],
      ['e1', 'edge'],
    ]);
    index.markUnreachable('edge', 'gone');
    now += 500;
    index.markUnreachable('edge', 'still gone');
    expect(index.unreachable()).toEqual([{ site: 'edge', reason: 'still gone', since: 10_000 }]);
    const rows = index.query({ filter: parseWebFilter(''), offset: 0, limit: 10, facts: [] }).nodes;
    expect(rows.filter((n) => n.siteUnreachable).map((n) => n.identity)).toEqual(['a2', 'e1']);
    // Each site ages its records by its own registry's max age.
    index.setMaxAge('edge', 1000);
    expect(index.matching(parseWebFilter('')).map((n) => n.record.identity)).toEqual(['a2', 'a3']);
    index.markReachable('edge');
    expect(index.unreachable()).toEqual([]);
  });
});

describe('reply rows and history', () => {
  it('cuts values to 200 characters in rows, marking them, and keeps short ones as they are', () => {
    const long = 'x'.repeat(500);
    const row = rowOf({ identity: 'a', statuscode: 0, statusmsg: 'OK', ms: 3, data: { long, list: Array(100).fill('abc'), n: 1 } });
    expect(row.truncated).toBe(true);
    expect((row.data.long as string).length).toBe(200);
    expect(typeof row.data.list).toBe('string');
    expect(row.data.n).toBe(1);
    expect(rowOf({ identity: 'a', statuscode: 0, statusmsg: 'OK', ms: 3, data: { s: 'short' } }).truncated).toBeUndefined();
  });

  it('redacts inputs the DDL marks secret or that are named like secrets', () => {
    const ddl = { actions: { run: { input: { pin: { secret: true } } } } } as unknown as Parameters<typeof redactInputs>[0];
    expect(redactInputs(ddl, 'run', { pin: 1234, password: 'p', api_token: 't', noop: true, message: 'hi' })).toEqual({
      pin: '[redacted]',
      password: '[redacted]',
      api_token: '[redacted]',
      noop: true,
      message: 'hi',
    });
  });

  it('batches rows to subscribers, and tells a late subscriber everything before the end', async () => {
    const changes: string[] = [];
    const job = new Job(
      {
        id: 'j',
        user: 'u',
        created: 0,
        agent: 'rpcutil',
        action: 'ping',
        filter: '',
        scopedFilter: '',
        inputs: {},
        state: 'running',
        expected: 3,
        stats: { ok: 0, failed: 0, noReply: 0, pending: 3, total: 3 },
      },
      (j) => changes.push(j.summary.state),
    );
    const seen: Array<[string, unknown]> = [];
    job.subscribe({ send: (e, d) => seen.push([e, d]), close: () => seen.push(['closed', null]) });
    job.add({ identity: 'a', statuscode: 0, statusmsg: 'OK', ms: 1, data: {} });
    job.add({ identity: 'b', statuscode: 1, statusmsg: 'no', ms: 1, data: {} });
    job.flush();
    expect(seen.filter(([e]) => e === 'replies').map(([, d]) => (d as unknown[]).length)).toEqual([2]);
    job.noReply = ['c'];
    job.finish('done');
    expect(seen.at(-2)).toEqual(['end', expect.objectContaining({ state: 'done', noReply: ['c'] })]);
    expect(seen.at(-1)).toEqual(['closed', null]);
    expect(job.summary.stats).toEqual({ ok: 1, failed: 1, noReply: 1, pending: 0, total: 3 });
    expect(changes).toEqual(['done']);
    const late: string[] = [];
    job.subscribe({ send: (e) => late.push(e), close: () => late.push('closed') });
    expect(late).toEqual(['replies', 'stats', 'end', 'closed']);
    await job.done();
  });
});
