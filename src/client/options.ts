// The library's options, each with its default. Defaults not written here come from the client config.
import type { Config } from '../config/index.js';
import type { AgentDDL } from '../ddl/index.js';
import type { SecurityProvider } from '../security/provider.js';
import type { Connector } from '../transport/index.js';
import type { RpcProgress } from './call.js';
import type { FilterInput } from './filters.js';

export interface ConnectOptions {
  /**
   * A parsed config, the path of a config file, or `null` for none (every key at its default, plus `settings`).
   * Default: the client config `mco` reads ($TROUPE_CONFIG, ~/.troupe/client.cfg, /etc/troupe/client.cfg).
   */
  config?: Config | string | null;
  /** Config keys that win over the file, as `key = value` lines would set them; only with a path or `null`. */
  settings?: Readonly<Record<string, string | number | boolean>>;
  /** Shown in the broker's connection list. Default `troupe`. */
  name?: string;
  /** Called with one line for each event worth telling a person (a broker refusing a subject). Default: ignored. */
  onWarning?(message: string): void;
  /** Directories of `<agent>/<agent>.ddl.json`, searched before `plugindirs` and the built-in agents. */
  ddlDirs?: readonly string[];
  /** Use this connection instead of the connector the config names (an in-memory broker, say). */
  connector?: Connector;
  /** Use this security provider instead of the one `securityprovider` names. */
  security?: SecurityProvider;
}

/** Which nodes a request is for. */
export interface TargetingOptions {
  /** A Filter, a FilterSpec (`{ fact: 'os.family=Debian', class: 'nginx' }`), or nothing: every node. */
  filter?: FilterInput;
  /** Default `main_collective`; must be one of `collectives`. */
  collective?: string;
  /** `mc` (broadcast), `registry` or `flatfile`. Default `default_discovery_method`. */
  method?: string;
  /** The discovery method's options, as `--do key=value` (`file` for flatfile, `expect`, `max_age`). */
  discoveryOptions?: Readonly<Record<string, string>>;
  /** Act on only N nodes, or `'N%'` of those discovered. Default: all. */
  limit?: number | string;
  /** `first` (sorted) or `random`. Default `rpclimitmethod`; `random` when `limitSeed` is given. */
  limitMethod?: 'first' | 'random';
  /** Seed for a repeatable random `limit`. */
  limitSeed?: number;
  /** Aborting ends the call promptly with an AbortError. */
  signal?: AbortSignal;
}

export interface DiscoverOptions extends TargetingOptions {
  /** Longest wait for discovery replies, ms. Default `discovery_timeout`. */
  timeoutMs?: number;
}

export interface RpcOptions extends TargetingOptions {
  /** Longest wait for discovery replies, ms. Default `discovery_timeout`. */
  discoveryTimeoutMs?: number;
  /** Longest wait for replies, ms. Default: the agent's DDL timeout plus the discovery timeout, as `mco rpc`. */
  timeoutMs?: number;
  /** Seconds the request stays valid. Default `ttl`. */
  ttl?: number;
  /** Send to N, or `'N%'`, of the nodes at a time, waiting for each batch's replies. Default: all at once. */
  batch?: number | string;
  /** Pause between batches, ms. Default 1000, as `mco rpc --batch-sleep 1`. */
  batchSleepMs?: number;
  /** Called once the targets are known and after every reply. */
  onProgress?(progress: RpcProgress): void;
  /** Describes the agent when the client's DDL directories do not. */
  ddl?: AgentDDL;
  /**
   * The identities to address, found another way (a registry index kept by the caller): discovery is skipped, each
   * node is addressed directly (but see `nodesMatchFilter`) and still checks the filter itself. `limit` applies to them.
   */
  nodes?: readonly string[];
  /**
   * `nodes` are every node the filter selects, by the caller's own index of the fleet (not a hand-picked subset):
   * above `direct_addressing_threshold` the request is then broadcast with the filter, one message as after broadcast
   * discovery, and `nodes` are still the replies waited for and those named when silent. Ignored with `limit`, which
   * picks a subset. Default false: each node is addressed directly.
   */
  nodesMatchFilter?: boolean;
  /** The person a service (the web console) sends the request for; nodes' audit lines and action policies see it. */
  onBehalfOf?: string;
}
