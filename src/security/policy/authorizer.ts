// Decides, per request, whether the caller may run the action on this node, from the agent's ActionPolicy.
// Agents without a policy file follow `default.policy` when there is one, else the configured default:
// deny, except the read-only actions every operator needs (discovery, rpcutil's inspection actions).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeView } from '../../filter/index.js';
import type { RequestEnvelope } from '../../protocol/index.js';
import { silentLog, type SecurityLog } from '../log.js';
import { parseGroups, parsePolicy, type Policy, type PolicyRule } from './parse.js';

/** Actions allowed without a policy file even when unconfigured agents are denied. */
export const READ_ONLY_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  discovery: ['ping'],
  rpcutil: [
    'ping',
    'inventory',
    'get_fact',
    'get_facts',
    'agent_inventory',
    'collective_info',
    'daemon_stats',
    'get_config_item',
    'get_data',
  ],
};

export interface PolicyAuthorizerOptions {
  dir: string;
  /** Agents without a policy file (and no default.policy): allow everything instead of only the read-only actions. */
  allowUnconfigured?: boolean;
  log?: SecurityLog;
  /** Policy files are re-read at most this often when they change. */
  recheckMs?: number;
}

type Decision = { allowed: true } | { allowed: false; reason: string };

interface Loaded {
  file: string;
  policy?: Policy;
  error?: string;
}

interface CacheEntry {
  checkedAt: number;
  version?: string;
  loaded: Loaded | null;
}

export class PolicyAuthorizer {
  private readonly cache = new Map<string, CacheEntry>();
  private groups: { version?: string; checkedAt: number; members: Map<string, Set<string>> } = { checkedAt: -Infinity, members: new Map() };
  private readonly log: SecurityLog;

  constructor(private readonly opts: PolicyAuthorizerOptions) {
    this.log = opts.log ?? silentLog;
  }

  authorize(request: RequestEnvelope, caller: string, node: NodeView): Decision {
    const agent = request.agent;
    const action = request.message.action;
    const loaded = this.policyFor(agent) ?? this.policyFor('default');
    if (!loaded) {
      if (this.opts.allowUnconfigured || READ_ONLY_ACTIONS[agent]?.includes(action)) return { allowed: true };
      return { allowed: false, reason: `no policy allows ${agent}#${action} (no ${agent}.policy and unconfigured agents are denied)` };
    }
    const name = loaded.file.replace(/^.*\//, '');
    if (!loaded.policy) return { allowed: false, reason: `${name} cannot be read: ${loaded.error}` };
    const rule = loaded.policy.rules.find((r) => this.matches(r, caller, request.on_behalf_of, action, node));
    const effect = rule?.effect ?? loaded.policy.defaultEffect;
    if (effect === 'allow') return { allowed: true };
    const where = rule ? `${name} line ${rule.line}` : `the default of ${name}`;
    const who = request.on_behalf_of !== undefined ? `${caller} (on behalf of ${request.on_behalf_of})` : caller;
    return { allowed: false, reason: `${who} may not run ${agent}#${action}: denied by ${where}` };
  }

  private matches(rule: PolicyRule, caller: string, onBehalfOf: string | undefined, action: string, node: NodeView): boolean {
    if (rule.callers !== '*' && !rule.callers.some((c) => this.callerMatches(c, caller, onBehalfOf))) return false;
    if (rule.actions !== '*' && !rule.actions.includes(action)) return false;
    if (rule.facts !== '*' && !rule.facts(node)) return false;
    if (rule.classes !== '*' && !rule.classes(node)) return false;
    return true;
  }

  /**
   * `term` names the caller (or a group of callers), or, as `CALLER/USER`, the caller acting for that person: the
   * request's `on_behalf_of` (`CALLER/*`: for anyone). Only the caller is authenticated; it vouches for the person.
   */
  private callerMatches(term: string, caller: string, onBehalfOf: string | undefined): boolean {
    if (term === caller || this.groupMembers(term)?.has(caller)) return true;
    const slash = term.lastIndexOf('/');
    if (slash <= 0 || onBehalfOf === undefined) return false;
    const who = term.slice(0, slash);
    const user = term.slice(slash + 1);
    if (who !== caller && !this.groupMembers(who)?.has(caller)) return false;
    return user === '*' || user === onBehalfOf;
  }

  private groupMembers(name: string): Set<string> | undefined {
    const now = Date.now();
    if (now - this.groups.checkedAt >= (this.opts.recheckMs ?? 1000)) {
      const file = join(this.opts.dir, 'groups');
      const version = versionOf(file);
      if (version !== this.groups.version) {
        const members = version === undefined ? new Map<string, Set<string>>() : parseGroups(readFileSync(file, 'utf8'));
        this.groups = { version, checkedAt: now, members };
      } else {
        this.groups.checkedAt = now;
      }
    }
    return this.groups.members.get(name);
  }

  /** The policy file of `agent`, re-read when it changes; null when there is none. */
  private policyFor(agent: string): Loaded | null {
    const now = Date.now();
    const entry = this.cache.get(agent);
    if (entry && now - entry.checkedAt < (this.opts.recheckMs ?? 1000)) return entry.loaded;
    const file = join(this.opts.dir, `${agent}.policy`);
    const version = versionOf(file);
    if (entry && entry.version === version) {
      entry.checkedAt = now;
      return entry.loaded;
    }
    const loaded = version === undefined ? null : this.load(file);
    this.cache.set(agent, { checkedAt: now, version, loaded });
    return loaded;
  }

  private load(file: string): Loaded {
    try {
      const policy = parsePolicy(readFileSync(file, 'utf8'), file);
      this.log.info({ file, rules: policy.rules.length }, 'action policy loaded');
      return { file, policy };
    } catch (err) {
      const error = (err as Error).message;
      this.log.error({ file, err: error }, 'action policy cannot be used; denying the agent until it is fixed');
      return { file, error };
    }
  }
}

/** Changes when the file is rewritten; undefined when it does not exist. */
function versionOf(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return undefined;
  }
}
