// Builds a client session from configuration: the one place that picks transport and security for `mco`.
import { hostname } from 'node:os';
import { loadConfig, defaultConfigPath, type Config } from '../config/index.js';
import { DDLRepository } from '../ddl/repository.js';
import { newSenderSuffix } from '../protocol/index.js';
import { RpcClient } from '../client/rpc-client.js';
import { BroadcastDiscovery, FlatfileDiscovery, DiscoveryError, type DiscoveryMethod } from '../client/discovery/index.js';
import type { ClientDefaults, ClientSession, Output } from '../client/session.js';
import { connectorFromConfig } from '../transport/factory.js';
import type { Connector } from '../transport/index.js';
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
  };
}

/** Sender ids name this process: `<host>.<random>`, so replies never reach another client. */
function senderId(): string {
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

  async client(): Promise<RpcClient> {
    if (this.rpc) return this.rpc;
    const connector = connectorFromConfig(this.config, { name: 'mco', waitForBroker: false });
    await connector.connect();
    this.connector = connector;
    this.rpc = new RpcClient(connector, securityFromConfig(this.config, 'client'), {
      sender: senderId(),
      ttl: this.config.get('ttl'),
      maxMessageSize: this.config.get('max_message_size'),
      directAddressingThreshold: this.config.get('direct_addressing_threshold'),
    });
    return this.rpc;
  }

  async discoveryMethod(name: string): Promise<DiscoveryMethod> {
    if (name === 'mc') return new BroadcastDiscovery(await this.client());
    if (name === 'flatfile') return new FlatfileDiscovery();
    throw new DiscoveryError('unknown_method', `unknown discovery method '${name}' (known: mc, flatfile)`);
  }

  async close(): Promise<void> {
    await this.connector?.close();
  }
}
