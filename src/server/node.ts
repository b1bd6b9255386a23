// One node on the collective: its subscriptions, the dispatcher behind them, and a graceful drain.
import type { Logger } from 'pino';
import type { Connector, Subscription } from '../transport/index.js';
import { Dispatcher, type Auditor, type Authorizer, type Outcome, type RequestObserver } from './dispatcher.js';
import type { RequestDecoder } from './decoder.js';
import type { AgentPlugin, AgentService, ConfigItem, NodeInfo } from './agent.js';
import type { DataPlugin } from './data.js';
import { ServerStats } from './stats.js';
import { RejectionLog } from './rejection-log.js';
import type { SecurityProvider } from '../security/index.js';
import { DISCOVERY_AGENT } from '../protocol/index.js';
import type { NodeView } from '../filter/index.js';
import type { AgentDDL } from '../ddl/index.js';
import { Registration, buildRegistrationRecord, type RegistrationSettings } from './registration.js';

import type { NodeState } from './fact-source.js';

export type { NodeState } from './fact-source.js';

export interface NodeServerOptions {
  identity: string;
  collectives: readonly string[];
  mainCollective: string;
  version: string;
  configFile?: string;
  connector: Connector;
  security: SecurityProvider;
  agents: readonly AgentPlugin[];
  logger: Logger;
  maxMessageSize: number;
  authorizer?: Authorizer;
  auditor?: Auditor;
  decoder?: RequestDecoder;
  state: NodeState;
  /** Agent names this node claims for -A filters when it hosts fewer than that (the simulator's nodes). */
  advertisedAgents?: readonly string[];
  /** Keep this node's record in the registry current; absent, the node does not register. */
  registration?: RegistrationSettings;
  settingsFor?: (agent: string) => Readonly<Record<string, string>>;
  configItem?(key: string): ConfigItem | undefined;
  /** Shared by nodes writing to one log (the simulator's), so the limit holds for the log, not for each node. */
  rejectionLog?: RejectionLog;
  /** The daemon's metrics, told of each request an agent handles. */
  observer?: RequestObserver;
  /** Data plugins -S filters may call (plugins/data builtinDataPlugins()). */
  dataPlugins?: readonly DataPlugin[];
}

export class NodeServer implements NodeInfo {
  readonly identity: string;
  readonly collectives: readonly string[];
  readonly mainCollective: string;
  readonly version: string;
  readonly configFile?: string;
  readonly statsCounters = new ServerStats();
  private readonly agentMap: Map<string, AgentPlugin>;
  private readonly dispatcher: Dispatcher;
  private readonly rejectionLog: RejectionLog;
  private readonly subscriptions: Subscription[] = [];
  /** The agents' background work for this node (scheduled Puppet runs), started with the node. */
  private readonly services: AgentService[] = [];
  /** Requests whose action or reply is still under way; stop() waits for them. */
  private pending = 0;
  private drained?: () => void;
  private state: NodeState;
  private nodeView: NodeView;
  private readonly registration?: Registration;

  constructor(private readonly opts: NodeServerOptions) {
    this.identity = opts.identity;
    this.collectives = opts.collectives;
    this.mainCollective = opts.mainCollective;
    this.version = opts.version;
    this.configFile = opts.configFile;
    this.agentMap = new Map(opts.agents.map((a) => [a.ddl.metadata.name, a]));
    this.state = opts.state;
    this.nodeView = this.makeView();
    if (opts.registration) {
      this.registration = new Registration(opts.registration, () => buildRegistrationRecord(this, this.nodeView), opts.logger);
    }
    this.rejectionLog = opts.rejectionLog ?? new RejectionLog(opts.logger);
    this.dispatcher = new Dispatcher({
      node: this,
      agents: this.agentMap,
      security: opts.security,
      stats: this.statsCounters,
      logger: opts.logger,
      maxMessageSize: opts.maxMessageSize,
      authorizer: opts.authorizer,
      auditor: opts.auditor,
      decoder: opts.decoder,
      settingsFor: opts.settingsFor ?? (() => ({})),
      view: () => this.nodeView,
      rejectionLog: this.rejectionLog,
      observer: opts.observer,
      dataPlugins: new Map((opts.dataPlugins ?? []).map((p) => [p.ddl.metadata.name, p])),
    });
  }

  private makeView(): NodeView {
    const agents = this.opts.advertisedAgents ?? [...this.agentMap.keys()].filter((a) => a !== DISCOVERY_AGENT);
    return { identity: this.identity, facts: this.state.facts, classes: this.state.classes, agents };
  }

  /** New facts or classes take effect for the next request. */
  updateState(state: NodeState): void {
    this.state = state;
    this.nodeView = this.makeView();
    this.registration?.changed();
  }

  facts(): Record<string, unknown> {
    return this.state.facts;
  }

  classes(): readonly string[] {
    return this.state.classes;
  }

  agents(): readonly AgentDDL[] {
    return [...this.agentMap.values()].map((a) => a.ddl);
  }

  stats() {
    return this.statsCounters.snapshot();
  }

  configItem(key: string): ConfigItem | undefined {
    return this.opts.configItem?.(key);
  }

  async start(): Promise<void> {
    const { connector } = this.opts;
    for (const collective of this.collectives) {
      const handler = (msg: { data: Uint8Array; replyTo?: string }) => this.handle(msg.data, collective, msg.replyTo);
      for (const agent of new Set([DISCOVERY_AGENT, ...this.agentMap.keys()])) {
        this.subscriptions.push(await connector.subscribe({ kind: 'broadcast', collective, agent }, handler));
      }
      this.subscriptions.push(await connector.subscribe({ kind: 'node', collective, identity: this.identity }, handler));
    }
    if (this.registration) {
      const registration = this.registration;
      connector.onEvent((e) => e.type === 'reconnected' && registration.reconnected());
      registration.start();
    }
    this.startServices();
  }

  private startServices(): void {
    const settingsFor = this.opts.settingsFor ?? (() => ({}));
    for (const [name, agent] of this.agentMap) {
      if (!agent.start) continue;
      const logger = this.opts.logger.child({ agent: name });
      try {
        const service = agent.start({ node: this, logger, settings: settingsFor(name) });
        if (service) this.services.push(service);
      } catch (err) {
        // An agent's background work failing to start must not keep the node off the collective.
        logger.error({ err: (err as Error).message }, 'the agent could not start its background work');
      }
    }
  }

  /** SIGHUP: each agent forgets what it cached from the system. */
  reloadAgents(): void {
    for (const [name, agent] of this.agentMap) {
      try {
        agent.reload?.();
      } catch (err) {
        this.opts.logger.error({ agent: name, err: (err as Error).message }, 'the agent could not reload');
      }
    }
  }

  // Counted, not collected: one settle callback shared by every request costs no allocation per message.
  private readonly settle = (): void => {
    if (--this.pending === 0) this.drained?.();
  };

  private readonly handleFailed = (err: unknown): void => {
    this.opts.logger.error({ err }, 'could not handle a request');
  };

  private track(p: Promise<void>): void {
    this.pending++;
    p.then(this.settle, this.settle);
  }

  private handle(data: Uint8Array, collective: string, replyTo?: string): void {
    let outcome: Outcome | undefined | Promise<Outcome | undefined>;
    try {
      outcome = this.dispatcher.dispatch(data, collective, replyTo);
    } catch (err) {
      this.handleFailed(err);
      return;
    }
    if (outcome instanceof Promise) this.track(outcome.then((o) => this.send(o), this.handleFailed));
    else if (outcome?.frame) this.track(this.send(outcome));
  }

  private async send(outcome: Outcome | undefined): Promise<void> {
    try {
      if (outcome?.frame && outcome.replyTo) await this.opts.connector.reply(outcome.replyTo, outcome.frame);
    } catch (err) {
      this.opts.logger.error({ err }, 'could not send a reply');
    }
  }

  /** Stops taking requests, lets running actions finish (up to drainMs), then leaves the broker. */
  async stop(drainMs = 10_000): Promise<void> {
    this.registration?.stop();
    await Promise.all(this.services.splice(0).map((s) => s.stop().catch(() => undefined)));
    await Promise.all(this.subscriptions.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
    if (this.pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
      await Promise.race([new Promise<void>((resolve) => (this.drained = resolve)), deadline]);
      clearTimeout(timer);
      this.dispatcher.abortAll();
    }
    this.rejectionLog.flush();
    await this.opts.connector.close();
  }
}
