import { fileURLToPath } from 'node:url';
import type { AgentPlugin } from '../../server/agent.js';
import { discoveryAgent } from './discovery/agent.js';
import { rpcutilAgent } from './rpcutil/agent.js';
import { puppetAgent } from './puppet/agent.js';

/** Where the built-in agents keep their DDLs (`<agent>/<agent>.ddl.json`). */
export const BUILTIN_AGENT_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The agents every daemon hosts; discovery is the one no node may go without. */
export function builtinAgents(): AgentPlugin[] {
  return [discoveryAgent, rpcutilAgent, puppetAgent];
}
