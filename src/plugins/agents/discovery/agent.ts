// discovery: the agent every node answers, whatever else it hosts; a request reaches it only when its filter
// matched, so replying is the whole job. Its name is the protocol's (DISCOVERY_AGENT).
import { fileURLToPath } from 'node:url';
import { loadDDLFile } from '../../../ddl/index.js';
import { DISCOVERY_AGENT } from '../../../protocol/index.js';
import type { AgentPlugin } from '../../../server/agent.js';

const ddl = loadDDLFile(fileURLToPath(new URL('./discovery.ddl.json', import.meta.url)));
if (ddl.metadata.name !== DISCOVERY_AGENT) throw new Error(`discovery.ddl.json names '${ddl.metadata.name}', not '${DISCOVERY_AGENT}'`);

export const discoveryAgent: AgentPlugin = {
  ddl,
  invoke() {
    return { pong: Date.now() };
  },
};
