// The discovery agent is a plugin like the others (a JSON DDL beside its code), hosted by every daemon.
import { describe, expect, it } from 'vitest';
import { builtinAgents } from '../../../src/plugins/agents/index.js';
import { discoveryAgent } from '../../../src/plugins/agents/discovery/agent.js';
import { DISCOVERY_AGENT } from '../../../src/protocol/index.js';
import { DDLRepository } from '../../../src/ddl/repository.js';
import { BUILTIN_AGENT_DIR } from '../../../src/plugins/agents/index.js';

describe('discovery agent', () => {
  it('is named by the protocol, described by its JSON DDL and among the built-in agents', () => {
    expect(discoveryAgent.ddl.metadata.name).toBe(DISCOVERY_AGENT);
    expect(discoveryAgent.ddl.metadata.timeout).toBe(2);
    expect(Object.keys(discoveryAgent.ddl.actions)).toEqual(['ping']);
    expect(builtinAgents().map((a) => a.ddl.metadata.name)).toContain(DISCOVERY_AGENT);
    expect(new DDLRepository([BUILTIN_AGENT_DIR]).find(DISCOVERY_AGENT)?.actions.ping?.output.pong?.type).toBe('integer');
  });

  it('answers ping with the node time', async () => {
    const before = Date.now();
    const out = await discoveryAgent.invoke({} as never, {} as never);
    expect(out.pong).toBeGreaterThanOrEqual(before);
  });
});
