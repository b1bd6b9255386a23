// agent('name'): whether this node hosts an agent, and its DDL's metadata (`agent('puppet').version>=2`), as
// MCollective's agent data plugin.
import type { DataPlugin } from '../../../server/data-plugin.js';
import { builtinDataDDL } from '../load-ddl.js';

export function agentData(): DataPlugin {
  return {
    ddl: builtinDataDDL('agent'),
    query(argument, ctx) {
      const ddl = ctx.node.agents().find((d) => d.metadata.name === argument);
      if (!ddl) return { present: false };
      const { name, author, description, license, timeout, url, version } = ddl.metadata;
      return { present: true, agent: name, author, description, license, timeout, url, version };
    },
  };
}
