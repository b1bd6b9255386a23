// Builds a client session from configuration: the one place that picks transport and security for `mco`.
import { hostname } from 'node:os';
import { loadConfig, defaultConfigPath, type Config } from '../config/index.js';
import { DDLRepository } from '../ddl/repository.js';
import { newSenderSuffix, senderFor } from '../protocol/index.js';
import { RpcClient } from '../client/rpc-client.js';
import { DISCOVERY_METHODS, DiscoveryError, type DiscoveryMethod, type RegistrySource } from '../client/discovery/index.js';
import type { ClientDefaults, ClientSession, Output } from '../client/session.js';
import { brokerCertname, connectorFromConfig } from '../transport/factory.js';
import { natsRegistryReaderFor } from '../transport/nats-registry.js';
import { TransportError, type Connector } from '../transport/index.js';
import { BUILTIN_AGENT_DIR } from '../plugins/agents/index.js';
import { securityFromConfig } from './security.js';

export function clientConfig(file?: string): Config {
  return loadConfig(file ?? defaultConfigPath('client'));
}

export function clientDefaults(config: Config): ClientDefaults {
  return {
    mainCollective: config.get('main_collective'),
    collectives: config.get('collectives'),
    discoveryTimeoutMs: config.get('discovery_timeout') * 1000,
    quietWindowMs: config.get('discovery_quiet_window') * 1000,
    discoveryMethod: config.get('default_discovery_method'),
    ttl: config.get('ttl'),
    limitMethod: config.get('rpclimitmethod'),
    color: config.get('color'),
    expectFromRegistry: config.get('discovery_expect_from_registry'),
  };
}

/**
 * Sender ids name this process, so replies never reach another client: `<host>.<random>`, or over mutual TLS
 * `<token of the certificate name>.<random>`, the reply subjects the broker lets that certificate read (broker/).
 */
function senderId(config: Config): string {
  const certname = config.get('connector') === 'nats' ? brokerCertname(config) : undefined;
  if (certname) return senderFor(certname, newSenderSuffix());
  const host = hostname().replace(/[^A-Za-z0-9_\-.]/g, '_').replace(/^\.+|\.+$/g, '') || 'client';
  return `${host}.${newSenderSuffix()}`;
}

export class CliSession implements ClientSession {
  readonly defaults: ClientDefaults;
  readonly ddls: DDLRepository;
  private connector?: Connector;
  private rpc?: RpcClient;

  constructor(
    private readonly config: Config,
    readonly out: Output = process.stdout,
    readonly err: Output = process.stderr,
  ) {
    this.defaults = clientDefaults(config);
    this.ddls = new DDLRepository([...config.get('plugindirs'), BUILTIN_AGENT_DIR]);
  }

  private async connected(): Promise<Connector> {
    if (this.connector) return this.connector;
    const connector = connectorFromConfig(this.config, { name: 'mco', waitForBroker: false });
    // What the broker refuses (a request sent with a node's certificate, say) would otherwise look like silence.
    const said = new Set<string>();
    connector.onEvent((e) => {
      if (e.type !== 'error' || !(e.error instanceof TransportError && e.error.code === 'not_permitted') || said.has(e.error.message)) return;
      said.add(e.error.message);
      this.err.write(`mco: ${e.error.message}\n`);
    });
    await connector.connect();
    this.connector = connector;
    return connector;
  }

  async client(): Promise<RpcClient> {
    if (this.rpc) return this.rpc;
    const connector = await this.connected();
    this.rpc = new RpcClient(connector, securityFromConfig(this.config, 'client'), {
      sender: senderId(this.config),
      ttl: this.config.get('ttl'),
      maxMessageSize: this.config.get('max_message_size'),
      directAddressingThreshold: this.config.get('direct_addressing_threshold'),
    });
    return this.rpc;
  }

  async discoveryMethod(name: string): Promise<DiscoveryMethod> {
    return DISCOVERY_METHODS.get(name).create({
      client: () => this.client(),
      registry: () => this.registry(),
      expectFromRegistry: this.defaults.expectFromRegistry ?? false,
      warn: (line) => this.err.write(line + '\n'),
    });
  }

  /** The registry lives in NATS JetStream; other brokers have none. */
  async registry(): Promise<RegistrySource> {
    const kind = this.config.get('connector');
    if (kind !== 'nats') throw new DiscoveryError('unavailable', `the registry needs NATS with JetStream; this client uses connector = ${kind}`);
    const reader = natsRegistryReaderFor(await this.connected(), this.config.get('registry_bucket'));
    if (!reader) throw new DiscoveryError('unavailable', 'the registry needs a NATS connection');
    return reader;
  }

  async close(): Promise<void> {
    await this.connector?.close();
  }
}
