// The client library: `connect()` and the Troupe client a program drives, on the same composition as `mco`.
import { parseConfig, type Config } from '../config/index.js';
import { missingRequiredInputs, validateInputs, type AgentDDL } from '../ddl/index.js';
import { RpcCall, sortedReplies, summariesOf, type RpcProgress, type RpcReply, type RpcResult } from './call.js';
import { ClientContext, clientConfig } from './context.js';
import { UsageError } from './errors.js';
import { resolveFilter } from './filters.js';
import type { ConnectOptions, DiscoverOptions, RpcOptions, TargetingOptions } from './options.js';
import { AbortError, RequestError } from './request-errors.js';
import { discover, sendRequest, statsOf, type Discovered, type TargetOptions as RequestTarget } from './request.js';
import { countOf, limitNodes } from './selection.js';
import { ResultSet } from './results.js';
import { EXIT } from './exit-codes.js';
import type { AgentActions, AgentClient, TypedAgentDDL, UntypedActions } from './typed.js';

function unknownAgent(agent: string): RequestError {
  return new RequestError(
    'unknown_agent',
    `unknown agent '${agent}'`,
    'add its DDL directory to plugindirs or ddlDirs, or pass the DDL as options.ddl',
  );
}

/** The request `mco rpc` would refuse to send is refused here the same way, before anything goes out. */
export function checkedInputs(ddl: AgentDDL | undefined, agent: string, action: string, inputs: unknown): Record<string, unknown> {
  if (!ddl) throw unknownAgent(agent);
  if (!Object.hasOwn(ddl.actions, action)) {
    throw new RequestError(
      'unknown_action',
      `agent '${agent}' has no action '${action}'`,
      `actions: ${Object.keys(ddl.actions).sort().join(', ')}`,
    );
  }
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new RequestError('invalid_inputs', `${agent}#${action}: inputs must be an object of name: value`);
  }
  const data = inputs as Record<string, unknown>;
  const missing = missingRequiredInputs(ddl, action, data);
  if (missing.length > 0) throw new RequestError('missing_inputs', `${agent}#${action} needs ${missing.join(', ')}`);
  const checked = validateInputs(ddl, action, data);
  if (!checked.ok) throw new RequestError('invalid_inputs', `${agent}#${action}: ${checked.message}`);
  return data;
}

function throwIfAborted(signal: AbortSignal | undefined, partial?: RpcResult<object>): void {
  if (signal?.aborted) throw new AbortError(undefined, partial);
}

/** `work`, or an AbortError as soon as the signal fires (the work then ends on its own timeout, unobserved). */
function abortable<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError());
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** `N` or `'N%'` checked as `mco` checks --batch and --limit-nodes. */
function countSpec(value: number | string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const spec = String(value);
  try {
    countOf(spec, 1, what);
  } catch (err) {
    if (err instanceof UsageError) throw new RequestError('invalid_option', err.message);
    throw err;
  }
  return spec;
}

function configOf(options: ConnectOptions): Config {
  const settings = Object.fromEntries(
    Object.entries(options.settings ?? {}).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]),
  );
  if (options.config === null) return parseConfig('', undefined, settings);
  if (typeof options.config === 'string' || options.config === undefined) return clientConfig(options.config, settings);
  if (Object.keys(settings).length > 0)
    throw new RequestError('invalid_option', 'settings apply to a config file or to config: null, not to a Config object');
  return options.config;
}

/**
 * A connected client. Every method may be called concurrently; `close()` ends the broker connection.
 * Errors carry a stable `code`: RequestError, AbortError, FilterError, DDLError, DiscoveryError, TransportError,
 * ConfigError, SecurityError.
 */
export class Troupe {
  private constructor(readonly context: ClientContext) {}

  /** Use `connect()`. */
  static async open(options: ConnectOptions = {}): Promise<Troupe> {
    const context = new ClientContext(configOf(options), {
      name: options.name ?? 'troupe',
      warn: options.onWarning ? (line) => options.onWarning!(line) : undefined,
      connector: options.connector,
      security: options.security,
      ddlDirs: options.ddlDirs,
    });
    try {
      // Connecting now, and building the security provider, reports a wrong broker or certificate at connect().
      await context.client();
    } catch (err) {
      await context.close();
      throw err;
    }
    return new Troupe(context);
  }

  /** The configuration in use. */
  get config(): Config {
    return this.context.config;
  }

  /** The DDL of an agent, from `ddlDirs`, `plugindirs` and the built-in agents. */
  ddl(agent: string): AgentDDL | undefined {
    return this.context.ddls.find(agent);
  }

  /** The nodes that match, found by the discovery method, narrowed by `limit`. */
  async discover(options: DiscoverOptions = {}): Promise<Discovered> {
    const target = this.target(options, options.timeoutMs);
    throwIfAborted(options.signal);
    return abortable(options.signal, discover(this.context, target));
  }

  /**
   * Calls agent#action on the nodes the options select, as `mco rpc` does: inputs checked against the DDL,
   * discovery, then direct or broadcast addressing, in batches when asked. Iterate the call for the replies, or
   * await `result()`.
   */
  rpc<O extends object = Record<string, unknown>>(
    agent: string,
    action: string,
    inputs: object = {},
    options: RpcOptions = {},
  ): RpcCall<O> {
    return new RpcCall<O>((push) => this.call<O>(agent, action, inputs, options, push));
  }

  /** One method per action of the agent. Given a typed DDL (`mco plugin generate client`), inputs are checked at compile time. */
  agent<A extends AgentActions>(ddl: TypedAgentDDL<A>): AgentClient<A>;
  agent(name: string): AgentClient<UntypedActions>;
  agent(ddlOrName: AgentDDL | string): AgentClient<UntypedActions> {
    const ddl = typeof ddlOrName === 'string' ? this.ddl(ddlOrName) : ddlOrName;
    if (!ddl) throw unknownAgent(ddlOrName as string);
    const name = ddl.metadata.name;
    const methods: Record<string, (inputs?: object, options?: RpcOptions) => RpcCall<object>> = {};
    for (const action of Object.keys(ddl.actions)) {
      methods[action] = (inputs = {}, options = {}) => this.rpc(name, action, inputs, { ...options, ddl });
    }
    return Object.freeze(methods);
  }

  /** Closes the broker connection; calls still running end with a TransportError. */
  async close(): Promise<void> {
    await this.context.close();
  }

  private target(o: TargetingOptions, discoveryTimeoutMs: number | undefined): RequestTarget {
    const d = this.context.defaults;
    const collective = o.collective ?? d.mainCollective;
    if (!d.collectives.includes(collective)) {
      throw new RequestError(
        'invalid_option',
        `collective '${collective}' is not one of the configured collectives (${d.collectives.join(', ')})`,
      );
    }
    const method = o.method ?? d.discoveryMethod;
    return {
      filter: resolveFilter(o.filter),
      collective,
      discoveryMethod: method === 'broadcast' ? 'mc' : method,
      discoveryOptions: { ...o.discoveryOptions },
      discoveryTimeoutMs: discoveryTimeoutMs ?? d.discoveryTimeoutMs,
      quietWindowMs: d.quietWindowMs,
      limit: countSpec(o.limit, 'limit'),
      limitSeed: o.limitSeed,
      limitMethod: o.limitMethod ?? (o.limitSeed !== undefined ? 'random' : d.limitMethod),
    };
  }

  private async call<O>(
    agent: string,
    action: string,
    inputs: object,
    o: RpcOptions,
    push: (reply: RpcReply<O>) => void,
  ): Promise<RpcResult<O>> {
    const ddl = o.ddl ?? this.ddl(agent);
    const data = checkedInputs(ddl, agent, action, inputs);
    const target = this.target(o, o.discoveryTimeoutMs);
    const batch = countSpec(o.batch, 'batch');
    const signal = o.signal;
    throwIfAborted(signal);
    const discovered = o.nodes ? given(o.nodes, target) : await abortable(signal, discover(this.context, target));
    const progress: RpcProgress = { stage: 'discovered', discovered: discovered.nodes.length, received: 0, ok: 0, failed: 0 };
    const report = (p: RpcProgress) => {
      try {
        o.onProgress?.(p);
      } catch (err) {
        this.context.warn(`onProgress threw: ${(err as Error).message}`);
      }
    };
    report({ ...progress });
    if (discovered.nodes.length === 0) return nothingSent<O>(agent, action, discovered);
    throwIfAborted(signal);
    // Nodes the caller found another way are addressed one by one, unless they are the filter's whole match.
    const direct = o.nodes ? !(o.nodesMatchFilter === true && target.limit === undefined) : undefined;
    const outcome = await sendRequest(this.context, target, discovered, agent, action, data, {
      direct,
      // As `mco rpc`: the agent's own timeout plus the discovery timeout.
      timeoutMs: o.timeoutMs ?? ddl!.metadata.timeout * 1000 + target.discoveryTimeoutMs,
      ttl: o.ttl ?? this.context.defaults.ttl,
      batch,
      batchSleepMs: o.batchSleepMs ?? 1000,
      noResults: false,
      signal,
      onBehalfOf: o.onBehalfOf,
      onReply: (reply) => {
        progress.received++;
        if (reply.statuscode === 0) progress.ok++;
        else progress.failed++;
        push(reply as RpcReply<O>);
        report({ ...progress, stage: 'reply' });
      },
    });
    const { results, stats } = outcome;
    const replies = sortedReplies<O>(results.all());
    const result: RpcResult<O> = {
      agent,
      action,
      requestId: results.requestId,
      discovery: discovered,
      replies,
      ok: replies.filter((r) => r.statuscode === 0),
      failed: replies.filter((r) => r.statuscode !== 0),
      noResponse: stats.noResponse,
      unexpected: stats.unexpected,
      invalidReplies: results.invalidReplies,
      stats,
      summaries: summariesOf(ddl!, action, results.all()),
      exitCode: outcome.exitCode,
    };
    throwIfAborted(signal, result);
    return result;
  }
}

/** Nodes the caller found itself, narrowed by `limit` as discovered ones are. */
function given(nodes: readonly string[], target: RequestTarget): Discovered {
  let list = [...new Set(nodes)].sort();
  if (target.limit !== undefined) list = limitNodes(list, target.limit, target.limitMethod, target.limitSeed);
  return { nodes: list, method: 'nodes', elapsedMs: 0, unanswered: [] };
}

function nothingSent<O>(agent: string, action: string, discovery: Discovered): RpcResult<O> {
  const none = new ResultSet('', []);
  none.markStart();
  none.markFinished();
  const stats = statsOf(none, discovery.elapsedMs, 0);
  return {
    agent,
    action,
    discovery,
    replies: [],
    ok: [],
    failed: [],
    noResponse: [],
    unexpected: [],
    invalidReplies: 0,
    stats,
    summaries: [],
    exitCode: EXIT.ERROR,
  };
}

/**
 * Connects to the broker the client config names and returns the client. Defaults: the client config `mco`
 * reads; its collectives, discovery method, timeouts and security provider.
 *
 *     const t = await connect({ config: '/etc/troupe/client.cfg' });
 */
export function connect(options: ConnectOptions = {}): Promise<Troupe> {
  return Troupe.open(options);
}
