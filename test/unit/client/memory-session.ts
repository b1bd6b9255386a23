// A ClientSession over the in-memory broker, answered by real NodeServers (the daemon's own code). The interface
// has no output streams; this one still carries streams that throw, so an application that reached for the old
// `session.out` / `session.err` would be caught at run time too.
import { BroadcastDiscovery, DiscoveryError, type DiscoveryMethod } from '../../../src/client/discovery/index.js';
import { RpcClient } from '../../../src/client/rpc-client.js';
import type { ClientDefaults, ClientSession, Output } from '../../../src/client/session.js';
import { DDLRepository } from '../../../src/ddl/repository.js';
import { BUILTIN_AGENT_DIR } from '../../../src/plugins/agents/index.js';
import { InsecureProvider } from '../../../src/security/index.js';
import type { AgentPlugin } from '../../../src/server/agent.js';
import { NodeServer } from '../../../src/server/node.js';
import { MemoryBroker } from '../../helpers/memory-connector.js';
import { startMemoryNode } from '../../helpers/memory-node.js';

const security = new InsecureProvider('user=test');

export interface MemoryFleet {
  broker: MemoryBroker;
  session: ClientSession;
  /** Whatever was written to the session's output streams (a write also throws, where it can be seen). */
  written: string[];
  stop(): Promise<void>;
}

export async function memoryFleet(
  nodes: Record<string, { agents: AgentPlugin[]; facts?: Record<string, unknown>; collectives?: string[] }>,
  defaults: Partial<ClientDefaults> = {},
): Promise<MemoryFleet> {
  const broker = new MemoryBroker();
  const written: string[] = [];
  const noOutput: Output = {
    write(chunk: string) {
      written.push(chunk);
      throw new Error(`an application wrote to an output stream: ${chunk}`);
    },
  };
  const servers: NodeServer[] = [];
  for (const [identity, node] of Object.entries(nodes)) {
    servers.push(
      await startMemoryNode(broker, { identity, security, agents: node.agents, facts: node.facts, collectives: node.collectives }),
    );
  }
  const rpc = new RpcClient(broker.connector(), security, {
    sender: 'ops.ab12',
    ttl: 60,
    maxMessageSize: 65536,
    directAddressingThreshold: 10,
  });
  const session: ClientSession & { out: Output; err: Output } = {
    defaults: {
      mainCollective: 'mcollective',
      collectives: ['mcollective'],
      discoveryTimeoutMs: 2000,
      quietWindowMs: 100,
      discoveryMethod: 'mc',
      ttl: 60,
      limitMethod: 'first',
      color: false,
      ...defaults,
    },
    ddls: new DDLRepository([BUILTIN_AGENT_DIR]),
    out: noOutput,
    err: noOutput,
    client: () => Promise.resolve(rpc),
    discoveryMethod(name: string): Promise<DiscoveryMethod> {
      if (name === 'mc') return Promise.resolve(new BroadcastDiscovery(rpc));
      return Promise.reject(new DiscoveryError('unknown_method', `unknown discovery method '${name}'`));
    },
    registry: () => Promise.reject(new DiscoveryError('unavailable', 'the in-memory broker has no registry')),
    close: () => Promise.resolve(),
  };
  return { broker, session, written, stop: () => Promise.all(servers.map((s) => s.stop(100))).then(() => undefined) };
}
