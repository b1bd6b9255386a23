/**
 * The shape of an agent DDL after `parseDDL`: checked against `schemas/ddl.schema.json`
 * and normalised, so optional keys of the file format are always present here.
 */

export type DisplayPolicy = 'ok' | 'failed' | 'always';

export const INPUT_TYPES = ['string', 'integer', 'number', 'boolean', 'list', 'hash', 'array'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export type OutputType = Exclude<InputType, 'list'> | 'any';

export const AGGREGATE_FUNCTIONS = ['summary', 'sum', 'average', 'boolean_summary'] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

export interface DDLMetadata {
  name: string;
  description: string;
  author: string;
  license: string;
  version: string;
  url: string;
  /** Seconds an action may run on the node. */
  timeout: number;
}

export interface InputDDL {
  prompt: string;
  description: string;
  type: InputType;
  /** Normalised to false when the file leaves it out. */
  optional: boolean;
  /** Filled in when the caller leaves the input out. A `null` default in the file means "no default". */
  default?: unknown;
  /** A regular expression (JavaScript syntax, unanchored like Ruby's `=~`) or a named validator. */
  validation?: string;
  /** Longest accepted string, in characters; 0 or absent means no limit. */
  maxlength?: number;
  /** The accepted values of a `list` input. */
  list?: ReadonlyArray<string | number | boolean>;
}

export interface OutputDDL {
  description: string;
  /** Label used when rendering; the output's own name when the file leaves it out. */
  display_as: string;
  /** Used for a reply that leaves the output out; only applied when the file declares it (null included). */
  default?: unknown;
  type?: OutputType;
}

export interface AggregateDDL {
  function: AggregateFunction;
  /** `[outputName]`, or `[outputName, options]`; boolean_summary reads `{"true": label, "false": label}`. */
  args: readonly [string] | readonly [string, Readonly<Record<string, string>>];
  /** printf-style format for the number shown: `%d`, `%s`, `%.2f`, `%0.2f`. */
  format?: string;
}

export interface ActionDDL {
  description: string;
  display: DisplayPolicy;
  input: Readonly<Record<string, InputDDL>>;
  output: Readonly<Record<string, OutputDDL>>;
  aggregate: readonly AggregateDDL[];
  /** Accept inputs the DDL does not declare (resource parameters, for instance). */
  additional_inputs: boolean;
}

export interface AgentDDL {
  metadata: DDLMetadata;
  actions: Readonly<Record<string, ActionDDL>>;
}
