// Typed agents: a DDL that carries, in its type only, each action's inputs and outputs, so that a program calling
// `t.agent(puppet).runonce({ noop: 'yes' })` fails to compile. `mco plugin generate client AGENT` writes them.
import { parseDDL, type AgentDDL } from '../ddl/index.js';
import type { RpcCall } from './call.js';
import type { RpcOptions } from './options.js';

/** The inputs and outputs of one action. */
export interface ActionTypes {
  input: object;
  output: object;
}

export type AgentActions = Record<string, ActionTypes>;

/** What an agent known only by name offers: any action, any inputs. */
export type UntypedActions = Record<string, { input: Record<string, unknown>; output: Record<string, unknown> }>;

declare const actionTypes: unique symbol;

/** An agent DDL whose type also says what each action takes and returns. */
export type TypedAgentDDL<A extends AgentActions> = AgentDDL & { readonly [actionTypes]?: A };

/**
 * Inputs can be left out only when the action declares none. An action that declares some takes an object (`{}`
 * when every input is left out): for a parameter that is not optional, tsc's error names the wrong input's declaration.
 */
type ActionMethod<T extends ActionTypes> = string extends keyof T['input']
  ? (inputs?: T['input'], options?: RpcOptions) => RpcCall<T['output']>
  : (inputs: T['input'], options?: RpcOptions) => RpcCall<T['output']>;

/** One method per action of the agent; each returns the request in flight, as `Troupe#rpc` does. */
export type AgentClient<A extends AgentActions> = { readonly [K in keyof A & string]: ActionMethod<A[K]> };

/** Checks and normalises a DDL (as a `.ddl.json` file holds it) and gives it the action types `A`. */
export function defineAgent<A extends AgentActions>(ddl: unknown): TypedAgentDDL<A> {
  return parseDDL(ddl, 'given to defineAgent');
}
