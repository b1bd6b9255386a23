// A real NodeServer on the in-memory broker: unit tests of the client talk to the daemon's own pipeline.
import { pino } from 'pino';
import { discoveryAgent } from '../../src/plugins/agents/discovery/agent.js';
import type { SecurityProvider } from '../../src/security/index.js';
import type { AgentPlugin } from '../../src/server/agent.js';
import { NodeServer } from '../../src/server/node.js';
import type { MemoryBroker } from './memory-connector.js';

export interface MemoryNodeOptions {
  identity: string;
  security: SecurityProvider;
  /** Besides the discovery agent, which every node hosts. */
  agents?: readonly AgentPlugin[];
  facts?: Record<string, unknown>;
  classes?: string[];
  /** Default `mcollective`; the first is the main collective. */
  collectives?: string[];
}

/** Starts one node, in the `mcollective` collective unless told; the caller stops it. */
export async function startMemoryNode(broker: MemoryBroker, o: MemoryNodeOptions): Promise<NodeServer> {
  const server = new NodeServer({
    identity: o.identity,
    collectives: o.collectives ?? ['mcollective'],
    mainCollective: o.collectives?.[0] ?? 'mcollective',
    version: 'test',
    connector: broker.connector(),
    security: o.security,
    agents: [discoveryAgent, ...(o.agents ?? [])],
    logger: pino({ level: 'silent' }),
    maxMessageSize: 65536,
    state: { facts: o.facts ?? {}, classes: o.classes ?? [] },
  });
  await server.start();
  return server;
}

/** n01…nNN: zero-padded names for a small fleet. */
export const nodeNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
