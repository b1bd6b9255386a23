// Many virtual nodes in one process, each with its own broker connection, running the real NodeServer.
import type { Logger } from 'pino';
import type { Connector } from '../transport/index.js';
import type { SecurityProvider } from '../security/index.js';
import { ActionFailed, type AgentPlugin } from './agent.js';
import type { DataPlugin } from './data.js';
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
  /** `main_collective`; a node whose own collectives do not include it has its first collective as main. */
  mainCollective?: string;
  connectorFor(identity: string): Connector;
  /** One provider for every node, or one per node (its own certificate and replay cache). */
  security: SecurityProvider | ((identity: string) => SecurityProvider);
  authorizer?: Authorizer;
  auditor?: Auditor;
  /** The agents a node may host, the discovery agent among them. */
  agents: readonly AgentPlugin[];
  /** Data plugins for -S filters; each node answers them from its own state (facts, agents, Puppet files). */
  dataPlugins?: readonly DataPlugin[];
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
    const plain = this.opts.connectorFor(node.identity);
    const misbehaving = node.simulate && ((node.simulate.fail?.length ?? 0) > 0 || (node.simulate.silent?.length ?? 0) > 0);
    const { connector, agents } = misbehaving
      ? misbehave(plain, this.opts.agents, node.simulate!)
      : { connector: plain, agents: this.opts.agents };
    const collectives = node.collectives ?? this.opts.collectives;
    const mainCollective = this.opts.mainCollective;
    const registration = this.opts.registration;
    const registrar = registration?.registrarFor(connector);
    return {
      connector,
      node: new NodeServer({
        identity: node.identity,
        collectives,
        mainCollective: mainCollective !== undefined && collectives.includes(mainCollective) ? mainCollective : collectives[0]!,
        version: this.opts.version,
        connector,
        security: typeof this.opts.security === 'function' ? this.opts.security(node.identity) : this.opts.security,
        authorizer: this.opts.authorizer,
        auditor: this.opts.auditor,
        agents: agents.filter((a) => hosted.has(a.ddl.metadata.name)),
        dataPlugins: this.opts.dataPlugins,
        advertisedAgents: node.agents,
        logger: this.opts.logger,
        maxMessageSize: this.opts.maxMessageSize,
        decoder: this.decoder,
        rejectionLog: this.rejectionLog,
        state: { facts: node.facts ?? {}, classes: node.classes ?? [] },
        settingsFor: (agent) => nodePluginSettings(node, agent, this.opts.pluginSettings?.(agent)),
        registration:
          registration && registrar ? { registrar, intervalMs: registration.intervalMs, splayMs: registration.splayMs } : undefined,
      }),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.stop(2000).catch(() => undefined)));
  }
}

/** `agent#action` or `agent` patterns as a test of one request. */
function actionMatcher(patterns: readonly string[] = []): (agent: string, action: string) => boolean {
  const set = new Set(patterns);
  return (agent, action) => set.has(agent) || set.has(`${agent}#${action}`);
}

/**
 * A node's simulated misbehaviour: its agents fail the listed actions, and the replies to the silent ones are
 * dropped on their way out (the action still runs, as on a node whose replies are lost).
 */
function misbehave(
  connector: Connector,
  agents: readonly AgentPlugin[],
  simulate: NonNullable<VirtualNode['simulate']>,
): { connector: Connector; agents: AgentPlugin[] } {
  const fails = actionMatcher(simulate.fail);
  const silent = actionMatcher(simulate.silent);
  const silenced = new Set<string>();
  // Discovery answers as always: misbehaviour is in the actions a node runs, not in whether it is found.
  const wrapped = agents.map((agent): AgentPlugin =>
    agent.ddl.metadata.name === DISCOVERY_AGENT
      ? agent
      : {
          ddl: agent.ddl,
          invoke(request, ctx) {
            if (silent(request.agent, request.action)) {
              silenced.add(request.requestId);
              if (silenced.size > 10_000) silenced.delete(silenced.values().next().value!);
            }
            if (fails(request.agent, request.action)) throw new ActionFailed('simulated failure', 1);
            return agent.invoke(request, ctx);
          },
        },
  );
  const reply = (address: string, data: Uint8Array): Promise<void> => {
    // Reply addresses end with the request id (`<collective>.reply.<sender>.<requestid>`).
    const id = address.slice(address.lastIndexOf('.') + 1);
    if (silenced.delete(id)) return Promise.resolve();
    return connector.reply(address, data);
  };
  // Everything else goes to the real connector, bound to it.
  const quiet = new Proxy(connector, {
    get(target, key) {
      if (key === 'reply') return reply;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { connector: quiet, agents: wrapped };
}
