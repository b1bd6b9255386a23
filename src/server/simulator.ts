// Many virtual nodes in one process, each with its own broker connection, running the real NodeServer.
import type { Logger } from 'pino';
import type { Connector } from '../transport/index.js';
import type { SecurityProvider } from '../security/index.js';
import type { AgentPlugin } from './agent.js';
import { NodeServer } from './node.js';
import { RejectionLog } from './rejection-log.js';
import { SharedDecoder } from './decoder.js';
import type { Auditor, Authorizer } from './dispatcher.js';
import { nodePluginSettings, type VirtualNode } from './fleet.js';
import type { Registrar } from './registration.js';
import { DISCOVERY_AGENT } from '../protocol/index.js';

export interface SimulatorOptions {
  nodes: readonly VirtualNode[];
  collectives: readonly string[];
  connectorFor(identity: string): Connector;
  /** One provider for every node, or one per node (its own certificate and replay cache). */
  security: SecurityProvider | ((identity: string) => SecurityProvider);
  authorizer?: Authorizer;
  auditor?: Auditor;
  /** The agents a node may host, the discovery agent among them. */
  agents: readonly AgentPlugin[];
  logger: Logger;
  maxMessageSize: number;
  version: string;
  /** Connections opened at once; the broker and the kernel both dislike a thundering herd. */
  connectConcurrency?: number;
  /** `plugin.<agent>.*` settings from the config file (prefix removed); `{identity}` is filled in per node. */
  pluginSettings?(agent: string): Readonly<Record<string, string>>;
  /** Every virtual node registers through its own connection, as a daemon does (splayed, so the fleet fills gradually). */
  registration?: { registrarFor(connector: Connector): Registrar | undefined; intervalMs: number; splayMs: number };
}

export class FleetSimulator {
  readonly servers: NodeServer[] = [];
  private readonly decoder = new SharedDecoder();
  /** One log for the fleet: a bad broadcast is rejected by every node, and must not cost a line per node. */
  private readonly rejectionLog: RejectionLog;

  constructor(private readonly opts: SimulatorOptions) {
    this.rejectionLog = new RejectionLog(opts.logger);
  }

  async start(onProgress?: (started: number) => void): Promise<void> {
    const { nodes } = this.opts;
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) {
        const node = nodes[next++]!;
        const server = this.build(node);
        await server.connector.connect();
        await server.node.start();
        this.servers.push(server.node);
        if (this.servers.length % 500 === 0) onProgress?.(this.servers.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(nodes.length, this.opts.connectConcurrency ?? 50) }, worker));
  }

  private build(node: VirtualNode): { node: NodeServer; connector: Connector } {
    // Every node answers discovery, whatever agents it is given.
    const hosted = new Set([DISCOVERY_AGENT, ...(node.agents ?? this.opts.agents.map((a) => a.ddl.metadata.name))]);
    const connector = this.opts.connectorFor(node.identity);
    const collectives = node.collectives ?? this.opts.collectives;
    const registration = this.opts.registration;
    const registrar = registration?.registrarFor(connector);
    return {
      connector,
      node: new NodeServer({
        identity: node.identity,
        collectives,
        mainCollective: collectives[0]!,
        version: this.opts.version,
        connector,
        security: typeof this.opts.security === 'function' ? this.opts.security(node.identity) : this.opts.security,
        authorizer: this.opts.authorizer,
        auditor: this.opts.auditor,
        agents: this.opts.agents.filter((a) => hosted.has(a.ddl.metadata.name)),
        advertisedAgents: node.agents,
        logger: this.opts.logger,
        maxMessageSize: this.opts.maxMessageSize,
        decoder: this.decoder,
        rejectionLog: this.rejectionLog,
        state: { facts: node.facts ?? {}, classes: node.classes ?? [] },
        settingsFor: (agent) => nodePluginSettings(node, agent, this.opts.pluginSettings?.(agent)),
        registration: registration && registrar ? { registrar, intervalMs: registration.intervalMs, splayMs: registration.splayMs } : undefined,
      }),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.stop(2000).catch(() => undefined)));
  }
}
