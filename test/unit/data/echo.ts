import type { AgentPlugin } from '../../../src/server/agent.js';
import { agentDDL } from '../server/fixtures.js';

/** An agent that answers at once: what the data plugin tests send their filters with. */
export const echoAgent: AgentPlugin = {
  ddl: agentDDL('echo', {
    say: { description: 'Echo', display: 'always', input: { message: { prompt: 'M', description: 'M', type: 'string' } }, output: {} },
  }),
  invoke: (req) => ({ message: req.data.message }),
};
