// What a data plugin implements, and what the daemon lends it: the node as agents see it, settings, a deadline.
import type { Logger } from 'pino';
import type { DataDDL } from '../ddl/index.js';
import type { NodeInfo } from './agent.js';

export interface DataQueryContext {
  node: NodeInfo;
  /** `plugin.<name>.*` settings, prefix removed: the puppet data plugin reads the puppet agent's (`plugin.puppet.*`). */
  settingsFor: (name: string) => Readonly<Record<string, string>>;
  /** Aborted when the query overruns its DDL timeout. */
  signal: AbortSignal;
  logger: Logger;
}

/** What a data plugin implements: one folder under src/plugins/data/ with its DDL, registered by name. */
export interface DataPlugin {
  readonly ddl: DataDDL;
  /** Output fields by name; fields left out take their DDL default. */
  query(argument: string | undefined, ctx: DataQueryContext): Record<string, unknown> | Promise<Record<string, unknown>>;
}
