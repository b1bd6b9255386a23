// Roles: which `agent.action` patterns a user may run, on which nodes (a filter scope ANDed onto every request),
// whether a request may go to the whole fleet unfiltered, and whether the user sees other users' jobs and plan runs.
// Read from a YAML or JSON roles file.
import { existsSync, readFileSync } from 'node:fs';
import { parseCompound } from '../filter/index.js';
import { WebError } from './errors.js';
import { parseStructured } from './users.js';

export interface Role {
  /** `agent.action` patterns: `*`, `puppet.*`, `rpcutil.ping`. */
  actions: string[];
  /** A compound filter (mco's `-S` language) every request of the role is narrowed to; none: every node. */
  scope?: string;
  /** false: requests without a filter are refused. Default true. */
  allow_fleet: boolean;
  /** true: the history, job pages and plan runs of every user are visible, not only the user's own. Default false. */
  see_all_jobs: boolean;
}

export interface Permissions {
  actions: string[];
  /** The scope the user's roles allow together (ORed), or null when one of them has none. */
  scope: string | null;
  allowFleet: boolean;
  seeAllJobs: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const PATTERN = /^(\*|[a-z][a-z0-9_]*)\.(\*|[a-z][a-z0-9_]*)$|^\*$/;

export function actionMatches(pattern: string, agent: string, action: string): boolean {
  if (pattern === '*') return true;
  const [pa, pb] = pattern.split('.') as [string, string];
  return (pa === '*' || pa === agent) && (pb === '*' || pb === action);
}

export function parseRoles(raw: unknown, file: string): Map<string, Role> {
  const roles = new Map<string, Role>();
  if (raw === null || raw === undefined) return roles;
  if (!isObject(raw) || (raw.roles !== undefined && !isObject(raw.roles)))
    throw new WebError(
      'WEB_CONFIG',
      `roles file ${file}: expected a map 'roles' of name: { actions, scope?, allow_fleet?, see_all_jobs? }`,
    );
  for (const [name, r] of Object.entries(raw.roles ?? {})) {
    const bad = (why: string) => new WebError('WEB_CONFIG', `roles file ${file}: role '${name}': ${why}`);
    if (!isObject(r)) throw bad('expected { actions, scope?, allow_fleet?, see_all_jobs? }');
    const actions = r.actions ?? [];
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string' && PATTERN.test(a)))
      throw bad("'actions' must be a list of agent.action patterns (`*`, `puppet.*`, `rpcutil.ping`)");
    if (r.scope !== undefined && (typeof r.scope !== 'string' || r.scope.trim() === '')) throw bad("'scope' must be a filter");
    if (typeof r.scope === 'string') {
      try {
        parseCompound(r.scope);
      } catch (err) {
        throw bad(`scope: ${(err as Error).message}`);
      }
      // Identity parts of a wire filter are ORed with each other: a scope's would widen the user's, not narrow it.
      if (/(^|[\s(!])(identity|agent)\s*(=|==|=~)/.test(r.scope))
        throw bad('a scope takes fact and class terms only (identity and agent terms would not narrow)');
    }
    if (r.allow_fleet !== undefined && typeof r.allow_fleet !== 'boolean') throw bad("'allow_fleet' must be true or false");
    if (r.see_all_jobs !== undefined && typeof r.see_all_jobs !== 'boolean') throw bad("'see_all_jobs' must be true or false");
    roles.set(name, {
      actions: actions as string[],
      ...(typeof r.scope === 'string' ? { scope: r.scope } : {}),
      allow_fleet: r.allow_fleet !== false,
      see_all_jobs: r.see_all_jobs === true,
    });
  }
  return roles;
}

export function loadRoles(file: string): Map<string, Role> {
  if (!existsSync(file)) return new Map();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebError('WEB_CONFIG', `roles file ${file} cannot be read: ${(err as Error).message}`);
  }
  return parseRoles(parseStructured(text, file), file);
}

/** The roles a user holds that exist; unknown role names grant nothing. */
function held(roles: ReadonlyMap<string, Role>, names: readonly string[]): Role[] {
  return names.flatMap((n) => {
    const r = roles.get(n);
    return r ? [r] : [];
  });
}

const orScopes = (scopes: string[]): string => (scopes.length === 1 ? scopes[0]! : scopes.map((s) => `(${s})`).join(' or '));

function combine(rs: Role[]): Permissions {
  const unscoped = rs.some((r) => r.scope === undefined);
  return {
    actions: [...new Set(rs.flatMap((r) => r.actions))],
    scope: rs.length === 0 ? null : unscoped ? null : orScopes(rs.map((r) => r.scope!)),
    allowFleet: rs.some((r) => r.allow_fleet),
    seeAllJobs: rs.some((r) => r.see_all_jobs),
  };
}

/** What the user may do overall (for the app to show). */
export function permissionsOf(roles: ReadonlyMap<string, Role>, names: readonly string[]): Permissions {
  return combine(held(roles, names));
}

/**
 * What the user may do with one action: the roles that allow it, their scopes ORed. Throws 403 when none allows
 * it. An empty-role user may do nothing.
 */
export function permissionsFor(roles: ReadonlyMap<string, Role>, names: readonly string[], agent: string, action: string): Permissions {
  const allowing = held(roles, names).filter((r) => r.actions.some((p) => actionMatches(p, agent, action)));
  if (allowing.length === 0) throw new WebError('WEB_FORBIDDEN_ACTION', `your roles do not allow ${agent}.${action}`);
  return combine(allowing);
}
