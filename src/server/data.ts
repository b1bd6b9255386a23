// Data plugins as the node runs them for -S filters: `puppet().enabled=false` asks the node's `puppet` data plugin.
// Each call is asked once per request (a per-request cache), every query is held to its DDL timeout, and a plugin
// that throws or overruns only makes its terms false; nothing it does reaches past the filter stage.
import type { Logger } from 'pino';
import { dataShapeOf, type DataDDL } from '../ddl/index.js';
import {
  checkFilterData,
  dataCallKey,
  FilterError,
  type DataCall,
  type DataCatalog,
  type DataLookup,
  type Filter,
} from '../filter/index.js';
import type { NodeInfo } from './agent.js';
import type { DataPlugin, DataQueryContext } from './data-plugin.js';

export type { DataPlugin, DataQueryContext } from './data-plugin.js';

/** Longest a query may take whatever its DDL says, so a filter never holds a request for long. */
export const MAX_DATA_QUERY_MS = 10_000;

export interface DataQueryOptions {
  plugins: ReadonlyMap<string, DataPlugin>;
  node: NodeInfo;
  settingsFor: (name: string) => Readonly<Record<string, string>>;
  logger: Logger;
  /** Called once per failed or overrunning query, with a reason for the daemon's stats and log. */
  onFailure(reason: 'data_plugin_failed' | 'data_plugin_timeout', message: string, requestid: string): void;
}

/** The node's data plugins, asked on behalf of one request's filter. */
export class DataQueries {
  readonly catalog: DataCatalog;
  /** Filters already checked against this node's plugins: the reason one was refused, or null. */
  private readonly checked = new WeakMap<Filter, string | null>();

  constructor(private readonly opts: DataQueryOptions) {
    const { plugins } = opts;
    this.catalog = {
      find: (name) => {
        const plugin = plugins.get(name);
        return plugin ? dataShapeOf(plugin.ddl) : undefined;
      },
      names: () => [...plugins.keys()],
    };
  }

  /** Why this node cannot evaluate the filter's data calls (an unknown plugin or field, a refused argument), or undefined. */
  refusal(filter: Filter): string | undefined {
    let reason = this.checked.get(filter);
    if (reason === undefined) {
      try {
        checkFilterData(filter, this.catalog);
        reason = null;
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        reason = err.message;
      }
      this.checked.set(filter, reason);
    }
    return reason ?? undefined;
  }

  /**
   * Every call's answer, each asked once. Synchronous when every plugin answers at once (fact(), agent()), so those
   * filters cost no promise; a plugin that fails or overruns answers undefined.
   */
  answer(calls: readonly DataCall[], requestid: string): DataLookup | Promise<DataLookup> {
    const answers = new Map<string, Readonly<Record<string, unknown>> | undefined>();
    const pending: Array<Promise<void>> = [];
    for (const call of calls) {
      const key = dataCallKey(call.plugin, call.argument);
      const result = this.ask(call, requestid);
      if (isPromise(result)) pending.push(result.then((r) => void answers.set(key, r)));
      else answers.set(key, result);
    }
    const lookup: DataLookup = (plugin, argument) => answers.get(dataCallKey(plugin, argument));
    return pending.length === 0 ? lookup : Promise.all(pending).then(() => lookup);
  }

  private ask(
    call: DataCall,
    requestid: string,
  ): Readonly<Record<string, unknown>> | undefined | Promise<Readonly<Record<string, unknown>> | undefined> {
    const plugin = this.opts.plugins.get(call.plugin);
    if (!plugin) return undefined;
    const controller = new AbortController();
    const fail = (err: unknown, reason: 'data_plugin_failed' | 'data_plugin_timeout' = 'data_plugin_failed'): undefined => {
      this.opts.onFailure(reason, `data plugin ${call.plugin}() failed: ${(err as Error)?.message ?? String(err)}`, requestid);
      return undefined;
    };
    const ctx: DataQueryContext = {
      node: this.opts.node,
      settingsFor: this.opts.settingsFor,
      signal: controller.signal,
      logger: this.opts.logger,
    };
    let result: Record<string, unknown> | Promise<Record<string, unknown>>;
    try {
      result = plugin.query(call.argument, ctx);
    } catch (err) {
      return fail(err);
    }
    const complete = (r: unknown) => withDefaults(plugin.ddl, r) ?? fail(new Error('it answered something other than an object'));
    if (!isPromise(result)) return complete(result);
    const ms = Math.min(plugin.ddl.metadata.timeout * 1000, MAX_DATA_QUERY_MS);
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`no answer within ${ms} ms`));
        resolve(fail(new Error(`no answer within ${ms} ms`), 'data_plugin_timeout'));
      }, ms);
    });
    const answered = result.then(
      (r) => complete(r),
      (err: unknown) => (controller.signal.aborted ? undefined : fail(err)),
    );
    return Promise.race([answered, overrun]).finally(() => clearTimeout(timer));
  }
}

/** The plugin's answer with the DDL's defaults for the fields it left out; anything but an object counts as a failure. */
function withDefaults(ddl: DataDDL, result: unknown): Readonly<Record<string, unknown>> | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const answer: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ddl.dataquery.output)) {
    const value = Object.hasOwn(result, name) ? (result as Record<string, unknown>)[name] : undefined;
    if (value !== undefined) answer[name] = value;
    else if (spec.default !== undefined) answer[name] = spec.default;
  }
  return answer;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
