// A node daemon assembled from configuration: facts and classes kept current, one NodeServer on the broker.
import type { Logger } from 'pino';
import { ConfigError, describeConfigItem, type Config } from '../config/index.js';
import type { SecurityProvider } from '../security/index.js';
import type { Auditor, Authorizer } from './dispatcher.js';
import type { Connector } from '../transport/index.js';
import type { AgentPlugin } from './agent.js';
import type { DataPlugin } from './data.js';
import { NodeServer } from './node.js';
import type { FactSource } from './fact-source.js';
import type { Registrar, RegistrationSettings } from './registration.js';
import type { DaemonObserver } from './metrics.js';

export type { FactSource, NodeState } from './fact-source.js';

export interface DaemonParts {
  config: Config;
  connector: Connector;
  security: SecurityProvider;
  authorizer?: Authorizer;
  auditor?: Auditor & { close?(): void };
  /** Every agent the node hosts, the discovery agent among them (plugins/agents builtinAgents()). */
  agents: readonly AgentPlugin[];
  /** Data plugins for -S filters (plugins/data builtinDataPlugins()). */
  dataPlugins?: readonly DataPlugin[];
  facts: FactSource;
  logger: Logger;
  version: string;
  /** Where registration records go; absent when the broker offers no registry (AMQP). */
  registrar?: Registrar;
  /** Its Prometheus metrics (server/metrics.ts), when `metrics_port` is set. */
  metrics?: DaemonObserver;
}

export class Daemon {
  readonly server: NodeServer;

  constructor(private readonly parts: DaemonParts) {
    const { config } = parts;
    this.server = new NodeServer({
      identity: config.get('identity'),
      collectives: config.get('collectives'),
      mainCollective: config.get('main_collective'),
      version: parts.version,
      configFile: config.file,
      connector: parts.connector,
      security: parts.security,
      authorizer: parts.authorizer,
      auditor: parts.auditor,
      agents: parts.agents,
      dataPlugins: parts.dataPlugins,
      logger: parts.logger,
      maxMessageSize: config.get('max_message_size'),
      state: parts.facts.load(),
      registration: registrationOf(parts),
      observer: parts.metrics,
      settingsFor: (agent) => config.plugin(agent),
      configItem: (key) => {
        try {
          return { secret: false, value: describeConfigItem(config, key) };
        } catch (err) {
          return err instanceof ConfigError && err.code === 'CONFIG_SECRET' ? { secret: true } : undefined;
        }
      },
    });
    parts.metrics?.countersFrom(() => this.server.stats());
  }

  async start(): Promise<void> {
    const { logger, connector, facts, metrics } = this.parts;
    // First, so a port that cannot be opened stops the start before the node joins the collective.
    if (metrics) {
      await metrics.listen();
      logger.info({ ...metrics.address }, 'metrics served at /metrics');
    }
    if (metrics) connector.onEvent((e) => metrics.connectorEvent(e));
    let lastDiscoveryError: string | undefined;
    connector.onEvent((e) => {
      if (e.type === 'error') logger.error({ err: e.error }, 'broker connection error');
      else if (e.type === 'servers') {
        lastDiscoveryError = undefined;
        logger.info({ srv: e.name, servers: e.servers }, 'brokers found by DNS SRV');
      } else if (e.type === 'discovery_failed') {
        // Said once while the answer stays the same; the retries that follow are debug lines.
        const level = e.error.message === lastDiscoveryError ? 'debug' : 'warn';
        lastDiscoveryError = e.error.message;
        logger[level]({ err: e.error.message, retryMs: e.delayMs || undefined }, 'no broker found by DNS SRV');
      } else if (e.type === 'reconnecting') logger.debug({ attempt: e.attempt, delayMs: e.delayMs }, 'reconnecting to the broker');
      else if (e.type === 'dropped')
        return; // counted in metrics; the reconnected line sums them up
      else if (e.type === 'reconnected' && e.dropped)
        logger.warn(
          { server: e.server, dropped: e.dropped.messages, droppedBytes: e.dropped.bytes },
          'broker reconnected; messages published while disconnected beyond plugin.nats.reconnect_buffer were dropped',
        );
      else if (e.type === 'lame_duck') logger.info({ server: e.server, delayMs: e.delayMs }, 'broker in lame-duck mode; moving to another');
      else if (e.type === 'moved') logger.info({ from: e.from, server: e.to }, 'broker moved');
      else logger.info({ server: e.server }, `broker ${e.type}`);
    });
    facts.watch(
      (state) => {
        this.server.updateState(state);
        logger.info({ facts: Object.keys(state.facts).length, classes: state.classes.length }, 'facts reloaded');
      },
      (err) => logger.error({ err: err.message }, 'facts could not be reloaded; keeping the previous ones'),
    );
    await connector.connect();
    await this.server.start();
    logger.info({ identity: this.server.identity, collectives: this.server.collectives }, 'node daemon ready');
  }

  /** SIGHUP: re-read facts and classes now; slow sources (Facter) follow when they have answered. */
  reloadFacts(): void {
    this.parts.facts.refresh?.();
    try {
      this.server.updateState(this.parts.facts.load());
      this.parts.logger.info('facts reloaded on request');
    } catch (err) {
      this.parts.logger.error({ err: (err as Error).message }, 'facts could not be reloaded; keeping the previous ones');
    }
  }

  /** SIGHUP: agents re-read what they cached from the system (Puppet's settings). */
  reloadAgents(): void {
    this.server.reloadAgents();
    this.parts.logger.info('agents reloaded');
  }

  async stop(drainMs?: number): Promise<void> {
    this.parts.facts.close();
    await this.server.stop(drainMs);
    this.parts.security.close?.();
    this.parts.auditor?.close?.();
    await this.parts.metrics?.close();
    this.parts.logger.info('node daemon stopped');
  }
}

/** Registration settings from `registerinterval` and `registration_splay`; none when off or without a registrar. */
function registrationOf(parts: DaemonParts): RegistrationSettings | undefined {
  const { config, logger, registrar } = parts;
  const interval = config.get('registerinterval');
  if (interval === 0) return undefined;
  if (!registrar) {
    logger.info({ connector: config.get('connector') }, 'registration off: the registry needs NATS with JetStream');
    return undefined;
  }
  // A record must be refreshed before it expires, with room for one missed registration.
  if (config.get('registry_max_age') < 2 * interval) {
    logger.warn(
      { registerinterval: interval, registry_max_age: config.get('registry_max_age') },
      'registry_max_age is under twice registerinterval: this node may drop out of the registry between registrations',
    );
  }
  const metrics = parts.metrics;
  return {
    registrar,
    intervalMs: interval * 1000,
    splayMs: config.get('registration_splay') * 1000,
    onPublish: metrics && ((ok) => metrics.registryPublish(ok)),
  };
}
