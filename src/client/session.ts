import type { AgentDDL, DataDDL } from '../ddl/index.js';
import type { DataCatalog } from '../filter/index.js';
import type { RpcClient } from './rpc-client.js';
import type { DiscoveryMethod, RegistrySource } from './discovery/index.js';

/** A stream text can be written to (a terminal's stdout, say); the client itself never writes. */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ClientDefaults {
  mainCollective: string;
  collectives: readonly string[];
  discoveryTimeoutMs: number;
  quietWindowMs: number;
  discoveryMethod: string;
  ttl: number;
  limitMethod: 'first' | 'random';
  color: boolean;
  /** Broadcast waits (discovery, ping) end once as many nodes answered as the registry counts. */
  expectFromRegistry?: boolean;
}

export interface DDLSource {
  find(agent: string): AgentDDL | undefined;
  list(): AgentDDL[];
}

/** The data plugins' DDLs: what -S filters may call, checked before anything is sent. */
export interface DataDDLSource {
  find(name: string): DataDDL | undefined;
  list(): DataDDL[];
  catalog(): DataCatalog;
}

/**
 * What a client application works with; the broker connection opens only when first needed. Applications return
 * their outcomes and report progress as events: a session has no output streams.
 */
export interface ClientSession {
  readonly defaults: ClientDefaults;
  readonly ddls: DDLSource;
  /** Absent, data calls in filters are checked for syntax only and the nodes judge the rest. */
  readonly dataDDLs?: DataDDLSource;
  client(): Promise<RpcClient>;
  discoveryMethod(name: string): Promise<DiscoveryMethod>;
  /** The node registry; throws DiscoveryError when this broker offers none. */
  registry?(): Promise<RegistrySource>;
  close(): Promise<void>;
}
