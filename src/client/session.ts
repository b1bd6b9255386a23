import type { AgentDDL } from '../ddl/index.js';
import type { RpcClient } from './rpc-client.js';
import type { DiscoveryMethod, RegistrySource } from './discovery/index.js';

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

/** What a client application works with; the broker connection opens only when first needed. */
export interface ClientSession {
  readonly defaults: ClientDefaults;
  readonly ddls: DDLSource;
  readonly out: Output;
  readonly err: Output;
  client(): Promise<RpcClient>;
  discoveryMethod(name: string): Promise<DiscoveryMethod>;
  /** The node registry; throws DiscoveryError when this broker offers none. */
  registry?(): Promise<RegistrySource>;
  close(): Promise<void>;
}
