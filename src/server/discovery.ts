// The discovery agent is part of the daemon, not a plugin: every node answers it, whatever else it hosts.
import { parseDDL } from '../ddl/index.js';
import type { AgentPlugin } from './agent.js';

export const discoveryAgent: AgentPlugin = {
  ddl: parseDDL(
    {
      metadata: {
        name: 'discovery',
        description: 'Answers discovery requests from nodes that match the filter',
        author: 'troupe',
        license: 'Apache-2.0',
        version: '1.0.0',
        url: 'https://github.com/troupe-io/troupe',
        timeout: 2,
      },
      actions: {
        ping: {
          description: 'Reply to say this node matches the filter',
          display: 'always',
          input: {},
          output: { pong: { description: 'Time on the node, ms since the epoch', display_as: 'Pong', type: 'integer' } },
        },
      },
    },
    'discovery (built in)',
  ),
  invoke() {
    return { pong: Date.now() };
  },
};
