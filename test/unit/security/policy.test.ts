// ActionPolicy files: MCollective's format, first match wins, groups, facts and classes, and the default
// for agents without a policy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyAuthorizer } from '../../../src/security/policy/authorizer.js';
import { parsePolicy, PolicyError } from '../../../src/security/policy/parse.js';
import type { NodeView } from '../../../src/filter/index.js';
import type { RequestEnvelope } from '../../../src/protocol/index.js';
import { craftRequest } from '../../helpers/requests.js';

const web: NodeView = {
  identity: 'web1',
  facts: { environment: 'production', customer: 'acme', os: { family: 'Debian' } },
  classes: ['role::web', 'nginx'],
  agents: ['puppet'],
};
const db: NodeView = { identity: 'db1', facts: { environment: 'staging', customer: 'other' }, classes: ['role::db'], agents: ['puppet'] };

function req(agent: string, action: string): RequestEnvelope {
  return craftRequest('x', { id: 'a'.repeat(32), sender: 's', agent, message: { agent, action, data: {} } });
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'troupe-policy-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

describe('parsePolicy', () => {
  it('reads the default, rules with 4 or 5 tab-separated fields, and skips comments', () => {
    const p = parsePolicy('# a comment\npolicy default allow\n\ndeny\tcert=bad.troupe\t*\t*\nallow\t*\tstatus ping\t*\t*\n');
    expect(p.defaultEffect).toBe('allow');
    expect(p.rules.map((r) => [r.effect, r.callers, r.actions, r.line])).toEqual([
      ['deny', ['cert=bad.troupe'], '*', 4],
      ['allow', '*', ['status', 'ping'], 5],
    ]);
  });

  it.each([
    ['allow cert=a * * *', /tab-separated/],
    ['permit\t*\t*\t*', /allow or deny/],
    ['allow\t*\t*', /4 or 5/],
    ['allow\t*\t*\tenvironment=(\t*', /facts/],
    ['policy default maybe', /allow or deny/],
  ])('points at the line of a bad rule: %s', (line, message) => {
    let error: unknown;
    try {
      parsePolicy(`policy default deny\n${line}\n`, 'puppet.policy');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(/^puppet\.policy:2: /);
    expect((error as Error).message).toMatch(message);
  });
});

describe('parsePolicy regular expressions', () => {
  // The same linear-time engine as request filters: a rule's pattern cannot stall the node that evaluates it.
  it('evaluates a pattern that explodes a backtracking engine at once', () => {
    // Eleven `.*` against 24 characters backtrack for about 18 s, beyond the test timeout.
    const rule = parsePolicy(`allow\t*\t*\t*\t/^${'.*'.repeat(11)}X$/\n`).rules[0]!;
    const long = { ...web, classes: ['a'.repeat(24), `${'a'.repeat(24)}X`] };
    expect((rule.classes as (n: NodeView) => boolean)(long)).toBe(true);
    expect((rule.classes as (n: NodeView) => boolean)({ ...web, classes: ['a'.repeat(24)] })).toBe(false);
  });

  it('refuses lookaround and backreferences with the line of the rule', () => {
    expect(() => parsePolicy('policy default deny\nallow\t*\t*\tenvironment=/^prod(?!uction)/\t*\n', 'p.policy')).toThrow(
      /^p\.policy:2: bad facts field .*lookahead/,
    );
    expect(() => parsePolicy('allow\t*\t*\t*\t/(a)\\1/\n', 'p.policy')).toThrow(/^p\.policy:1: bad classes field .*backreference/);
  });

  it('reads a class starting with / as a regex, the closing slash optional', () => {
    const rule = parsePolicy('allow\t*\t*\t*\t/^role::w\n').rules[0]!;
    expect((rule.classes as (n: NodeView) => boolean)(web)).toBe(true);
    expect((rule.classes as (n: NodeView) => boolean)(db)).toBe(false);
  });
});

describe('PolicyAuthorizer', () => {
  const authorizer = (allowUnconfigured = false) => new PolicyAuthorizer({ dir, allowUnconfigured, recheckMs: 0 });

  it('first matching rule wins, then the policy default', () => {
    write(
      'puppet.policy',
      'policy default deny\ndeny\tcert=intern.troupe\trunonce\t*\t*\nallow\tcert=intern.troupe cert=ops.troupe\t*\t*\t*\n',
    );
    const a = authorizer();
    expect(a.authorize(req('puppet', 'runonce'), 'cert=intern.troupe', web)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/puppet\.policy line 2/) as string,
    });
    expect(a.authorize(req('puppet', 'status'), 'cert=intern.troupe', web)).toEqual({ allowed: true });
    expect(a.authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web)).toEqual({ allowed: true });
    expect(a.authorize(req('puppet', 'status'), 'cert=stranger.troupe', web)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/default/) as string,
    });
  });

  it('matches facts (all of them, or a compound statement) and classes on the node', () => {
    write(
      'puppet.policy',
      'policy default deny\nallow\t*\tstatus\tenvironment=production customer=acme\trole::web\nallow\t*\trunonce\tos.family=Debian and not environment=staging\t*\nallow\t*\tdisable\t*\t/^role::d/\n',
    );
    const a = authorizer();
    expect(a.authorize(req('puppet', 'status'), 'cert=a.troupe', web).allowed).toBe(true);
    expect(a.authorize(req('puppet', 'status'), 'cert=a.troupe', db).allowed).toBe(false);
    expect(a.authorize(req('puppet', 'runonce'), 'cert=a.troupe', web).allowed).toBe(true);
    expect(a.authorize(req('puppet', 'runonce'), 'cert=a.troupe', db).allowed).toBe(false);
    expect(a.authorize(req('puppet', 'disable'), 'cert=a.troupe', db).allowed).toBe(true);
    expect(a.authorize(req('puppet', 'disable'), 'cert=a.troupe', web).allowed).toBe(false);
  });

  it('expands groups from the groups file in the callers field', () => {
    write('groups', '# admins\nadmins cert=alice.troupe cert=bob.troupe\n');
    write('puppet.policy', 'policy default deny\nallow\tadmins\t*\t*\t*\n');
    const a = authorizer();
    expect(a.authorize(req('puppet', 'runonce'), 'cert=bob.troupe', web).allowed).toBe(true);
    expect(a.authorize(req('puppet', 'runonce'), 'cert=eve.troupe', web).allowed).toBe(false);
  });

  it('without a policy file denies, except discovery and the read-only rpcutil actions', () => {
    const a = authorizer();
    expect(a.authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/no puppet\.policy/) as string,
    });
    expect(a.authorize(req('rpcutil', 'inventory'), 'cert=ops.troupe', web).allowed).toBe(true);
    expect(a.authorize(req('discovery', 'ping'), 'cert=ops.troupe', web).allowed).toBe(true);
    expect(authorizer(true).authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web).allowed).toBe(true);
  });

  it('uses default.policy for agents without their own file', () => {
    write('default.policy', 'policy default allow\n');
    expect(authorizer().authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web).allowed).toBe(true);
  });

  it('picks up a changed policy, and a broken one denies the agent with its error', () => {
    const a = authorizer();
    write('puppet.policy', 'policy default allow\n');
    expect(a.authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web).allowed).toBe(true);
    write('puppet.policy', 'policy default deny\nallow cert=ops.troupe * * *\n');
    expect(a.authorize(req('puppet', 'runonce'), 'cert=ops.troupe', web)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/cannot be read.*tab-separated/) as string,
    });
  });
});

describe('on_behalf_of: a service acting for a person', () => {
  const forUser = (action: string, user?: string): RequestEnvelope => ({
    ...req('puppet', action),
    ...(user !== undefined ? { on_behalf_of: user } : {}),
  });

  it('CALLER/USER matches only that caller acting for that user; CALLER/* for anyone; CALLER alone as before', () => {
    write(
      'puppet.policy',
      'policy default deny\nallow\tcert=web.troupe/alice\tdisable\t*\nallow\tcert=web.troupe/*\tstatus\t*\nallow\tcert=ops.troupe\t*\t*\n',
    );
    const auth = new PolicyAuthorizer({ dir });
    expect(auth.authorize(forUser('disable', 'alice'), 'cert=web.troupe', web).allowed).toBe(true);
    const bob = auth.authorize(forUser('disable', 'bob'), 'cert=web.troupe', web);
    expect(bob.allowed).toBe(false);
    expect(!bob.allowed && bob.reason).toContain('cert=web.troupe (on behalf of bob) may not run');
    // Only the signing caller is trusted to name a person: another certificate claiming alice gets nothing.
    expect(auth.authorize(forUser('disable', 'alice'), 'cert=other.troupe', web).allowed).toBe(false);
    // Without on_behalf_of the user terms do not match.
    expect(auth.authorize(forUser('disable'), 'cert=web.troupe', web).allowed).toBe(false);
    expect(auth.authorize(forUser('status', 'carol'), 'cert=web.troupe', web).allowed).toBe(true);
    expect(auth.authorize(forUser('status'), 'cert=web.troupe', web).allowed).toBe(false);
    expect(auth.authorize(forUser('disable', 'anyone'), 'cert=ops.troupe', web).allowed).toBe(true);
  });

  it('groups work on the caller side of CALLER/USER', () => {
    write('groups', 'consoles cert=web.troupe cert=web2.troupe\n');
    write('puppet.policy', 'policy default deny\nallow\tconsoles/alice\t*\t*\n');
    const auth = new PolicyAuthorizer({ dir });
    expect(auth.authorize(forUser('enable', 'alice'), 'cert=web2.troupe', web).allowed).toBe(true);
    expect(auth.authorize(forUser('enable', 'bob'), 'cert=web2.troupe', web).allowed).toBe(false);
  });
});
