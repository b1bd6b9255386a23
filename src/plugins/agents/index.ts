import { fileURLToPath } from 'node:url';
import type { AgentPlugin } from '../../server/agent.js';
import { rpcutilAgent } from './rpcutil/agent.js';
import { createPuppetAgent, puppetAgent, type PuppetAgentDeps } from './puppet/agent.js';

/** Where the built-in agents keep their DDLs (`<agent>/<agent>.ddl.json`). */
export const BUILTIN_AGENT_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The agents every daemon hosts; `puppet` overrides what the puppet agent is lent (governor slots). */
export function builtinAgents(deps: { puppet?: Partial<PuppetAgentDeps> } = {}): AgentPlugin[] {
  return [rpcutilAgent, deps.puppet ? createPuppetAgent(deps.puppet) : puppetAgent];
}
