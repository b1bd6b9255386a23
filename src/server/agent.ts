// What an agent plugin implements, and what the daemon lends it. Agents see the node only through NodeInfo.
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import type { Logger } from 'pino';
import type { AgentDDL } from '../ddl/index.js';
import type { StatsSnapshot } from './stats.js';

export interface ActionRequest {
  agent: string;
  action: string;
  /** Inputs, already validated against the DDL and completed with its defaults. */
  data: Record<string, unknown>;
  caller: string;
  requestId: string;
  sender: string;
  collective: string;
}

/** The node as agents may see it. */
export interface NodeInfo {
  readonly identity: string;
  readonly collectives: readonly string[];
  readonly mainCollective: string;
  readonly version: string;
  readonly configFile?: string;
  facts(): Record<string, unknown>;
  classes(): readonly string[];
  agents(): readonly AgentDDL[];
  stats(): StatsSnapshot;
  /** The effective value of a config key (also plugin.* keys), or undefined when unknown. */
  configItem(key: string): ConfigItem | undefined;
}

/** One config setting as the node shows it: its value (URL credentials masked), or only that it is a secret. */
export type ConfigItem = { secret: false; value: string } | { secret: true };

export interface AgentContext {
  node: NodeInfo;
  logger: Logger;
  /** `plugin.<agent>.*` settings with the prefix removed. */
  settings: Readonly<Record<string, string>>;
  /** Aborted when the action overruns its DDL timeout or the daemon shuts down. */
  signal: AbortSignal;
}

/** An action's result: a value when it is ready at once (no timer is armed), or a promise held to the DDL timeout. */
export type ActionResult = Record<string, unknown> | Promise<Record<string, unknown>>;

/** What a node lends an agent's own background work (the puppet agent's scheduled runs). */
export interface AgentServiceContext {
  node: NodeInfo;
  logger: Logger;
  /** `plugin.<agent>.*` settings with the prefix removed. */
  settings: Readonly<Record<string, string>>;
}

/** Background work an agent runs for one node, ended when the node stops. */
export interface AgentService {
  stop(): Promise<void>;
}

export interface AgentPlugin {
  readonly ddl: AgentDDL;
  invoke(request: ActionRequest, ctx: AgentContext): ActionResult;
  /** Called as each node hosting the agent starts; what it returns is stopped with the node. */
  start?(ctx: AgentServiceContext): AgentService | undefined;
  /** SIGHUP: forget what was read from the system and cached (Puppet's settings), so the next request reads it again. */
  reload?(): void;
}

export const ACTION_FAILED_CODES = {
  action_failed: 'an action refused or failed; its reply carries the message and a statuscode',
} as const satisfies ErrorCodeTable;

/** Thrown by an action to reply with a failure status (1 aborted by default) and a message. */
export class ActionFailed extends TroupeError {
  override readonly name: string = 'ActionFailed';
  constructor(
    message: string,
    readonly statuscode: 1 | 2 | 3 | 4 | 5 = 1,
    readonly data: Record<string, unknown> = {},
    /** Agents with their own codes (the puppet agent's) pass them here. */
    code = 'action_failed',
  ) {
    super(code, message);
  }
}
