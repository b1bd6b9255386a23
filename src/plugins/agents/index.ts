import type { AgentPlugin } from '../../server/agent.js';
import { discoveryAgent } from './discovery/agent.js';
import { rpcutilAgent } from './rpcutil/agent.js';
import { puppetAgent } from './puppet/agent.js';

export { BUILTIN_AGENT_DIR } from './ddl-dir.js';

/** The agents every daemon hosts; discovery is the one no node may go without. */
export function builtinAgents(): AgentPlugin[] {
  return [discoveryAgent, rpcutilAgent, puppetAgent];
}
