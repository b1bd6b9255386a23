// The client's composition: configuration becomes a connector, a security provider, a sender id, the DDLs and the
// discovery methods. `mco` and the library both stand on it; the broker connection opens only when first needed.
import { hostname } from 'node:os';
import { loadConfig, defaultConfigPath, type Config } from '../config/index.js';
import { DDLRepository } from '../ddl/repository.js';
import { DataDDLRepository } from '../ddl/data.js';
import { newSenderSuffix, senderFor } from '../protocol/index.js';
import { securityFromConfig } from '../security/from-config.js';
import type { SecurityProvider } from '../security/provider.js';
import { brokerCertname, connectorFromConfig } from '../transport/factory.js';
import { natsRegistryReaderFor, registryBucketName } from '../transport/nats-registry.js';
import { TransportError, type Connector } from '../transport/index.js';
import { BUILTIN_AGENT_DIR } from '../plugins/agents/ddl-dir.js';
import { BUILTIN_DATA_DIR } from '../plugins/data/ddl-dir.js';
import { RpcClient } from './rpc-client.js';
import { DISCOVERY_METHODS, DiscoveryError, type DiscoveryMethod, type RegistrySource } from './discovery/index.js';
import { parseRegistrySites, SitesRegistry } from './discovery/sites.js';
import type { ClientDefaults, ClientSession, Output } from './session.js';

/** The client config: the file named, else the first of $TROUPE_CONFIG, ~/.troupe/client.cfg, /etc/troupe/client.cfg. */
export function clientConfig(file?: string, overrides: Record<string, string> = {}): Config {
  return loadConfig(file ?? defaultConfigPath('client'), overrides);
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
export function senderId(config: Config): string {
  const certname = config.get('connector') === 'nats' ? brokerCertname(config) : undefined;
  if (certname) return senderFor(certname, newSenderSuffix());
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_\-.]/g, '_')
      .replace(/^\.+|\.+$/g, '') || 'client';
  return `${host}.${newSenderSuffix()}`;
}

/** What the composition needs besides the config; every part has a default taken from the config. */
export interface ClientContextOptions {
  /** Shown in the broker's connection list. */
  name?: string;
  /** One line per event worth telling a person (a broker refusal, a registry that could not be read). */
  warn?(line: string): void;
  /** Used instead of the connector the config names (an in-memory broker in tests, a shared connection). */
  connector?: Connector;
  /** Used instead of the provider `securityprovider` names. */
  security?: SecurityProvider;
  /** Looked in before `plugindirs` and the built-in agents. */
  ddlDirs?: readonly string[];
  out?: Output;
  err?: Output;
}

const discard: Output = { write: () => true };

/** The discovery method of that name or alias, as discovery/builtin.ts declares them; unknown names are refused. */
export async function discoveryMethodFor(name: string, context: ClientContext): Promise<DiscoveryMethod> {
  return await DISCOVERY_METHODS.get(name).create({
    client: () => context.client(),
    registry: () => context.registry(),
    expectFromRegistry: context.defaults.expectFromRegistry ?? false,
    warn: (line) => context.warn(line),
  });
}

export class ClientContext implements ClientSession {
  readonly defaults: ClientDefaults;
  readonly ddls: DDLRepository;
  readonly dataDDLs: DataDDLRepository;
  readonly out: Output;
  readonly err: Output;
  private connector?: Connector;
  private connecting?: Promise<Connector>;
  private rpc?: RpcClient;
  private closed = false;

  constructor(
    readonly config: Config,
    private readonly options: ClientContextOptions = {},
  ) {
    this.defaults = clientDefaults(config);
    this.ddls = new DDLRepository([...(options.ddlDirs ?? []), ...config.get('plugindirs'), BUILTIN_AGENT_DIR]);
    this.dataDDLs = new DataDDLRepository([BUILTIN_DATA_DIR]);
    this.out = options.out ?? discard;
    this.err = options.err ?? discard;
  }

  warn(line: string): void {
    this.options.warn?.(line);
  }

  /** The broker connection, opened on first use; concurrent first uses share one connection. */
  connected(): Promise<Connector> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'the client is closed'));
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async open(): Promise<Connector> {
    const connector =
      this.options.connector ?? connectorFromConfig(this.config, { name: this.options.name ?? 'troupe', waitForBroker: false });
    // What the broker refuses (a request sent with a node's certificate, say) would otherwise look like silence.
    const said = new Set<string>();
    connector.onEvent((e) => {
      if (e.type !== 'error' || !(e.error instanceof TransportError && e.error.code === 'not_permitted') || said.has(e.error.message))
        return;
      said.add(e.error.message);
      this.warn(e.error.message);
    });
    await connector.connect();
    this.connector = connector;
    return connector;
  }

  async client(): Promise<RpcClient> {
    if (this.rpc) return this.rpc;
    const connector = await this.connected();
    this.rpc ??= new RpcClient(connector, this.options.security ?? securityFromConfig(this.config, 'client'), {
      sender: senderId(this.config),
      ttl: this.config.get('ttl'),
      maxMessageSize: this.config.get('max_message_size'),
      directAddressingThreshold: this.config.get('direct_addressing_threshold'),
    });
    return this.rpc;
  }

  discoveryMethod(name: string): Promise<DiscoveryMethod> {
    return discoveryMethodFor(name, this);
  }

  /**
   * The registry lives in NATS JetStream; other brokers have none. With `registry_sites`, every site's registry,
   * read at once; otherwise this client's own site's (`site`), or the one registry.
   */
  async registry(): Promise<RegistrySource> {
    const kind = this.options.connector?.kind ?? this.config.get('connector');
    if (kind !== 'nats')
      throw new DiscoveryError('unavailable', `the registry needs NATS with JetStream; this client uses connector = ${kind}`);
    const sites = parseRegistrySites(this.config.get('registry_sites'));
    const bucket = this.config.get('registry_bucket');
    const connector = await this.connected();
    const readerOf = (site: string, opts = {}) => {
      const reader = natsRegistryReaderFor(connector, registryBucketName(bucket, site), opts);
      if (!reader) throw new DiscoveryError('unavailable', 'the registry needs a NATS connection');
      return reader;
    };
    if (sites.length === 0) return readerOf(this.config.get('site'));
    const timeoutMs = this.config.get('registry_site_timeout') * 1000;
    return new SitesRegistry(
      sites.map((site) => ({
        site,
        source: readerOf(site.name, { timeoutMs, ...(site.domain !== undefined && { domain: site.domain }) }),
      })),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const connector = this.connector ?? (await this.connecting?.catch(() => undefined));
    this.connector = undefined;
    this.connecting = undefined;
    await connector?.close();
  }
}
