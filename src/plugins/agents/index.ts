import type { AgentPlugin } from '../../server/agent.js';
import { discoveryAgent } from './discovery/agent.js';
import { rpcutilAgent } from './rpcutil/agent.js';
import { createPuppetAgent, puppetAgent, type PuppetAgentDeps } from './puppet/agent.js';

export { BUILTIN_AGENT_DIR } from './ddl-dir.js';

/**
 * The agents every daemon hosts, discovery the one no node may go without; `puppet` overrides what the puppet agent
 * is lent (governor slots).
 */
export function builtinAgents(deps: { puppet?: Partial<PuppetAgentDeps> } = {}): AgentPlugin[] {
  return [discoveryAgent, rpcutilAgent, deps.puppet ? createPuppetAgent(deps.puppet) : puppetAgent];
}
