/** The filter as it travels on the wire: plain data, evaluated by every node. */

export type FactOperator = '==' | '!=' | '<' | '>' | '<=' | '>=' | '=~';

export const FACT_OPERATORS: readonly FactOperator[] = ['==', '!=', '<', '>', '<=', '>=', '=~'];

export interface FactFilter {
  fact: string;
  operator: FactOperator;
  value: string;
}

export interface Filter {
  /** ANDed. */
  fact: FactFilter[];
  /** ANDed; exact name or "/regex/" (optionally "/regex/i"). */
  cf_class: string[];
  /** ANDed; exact name or "/regex/". */
  agent: string[];
  /** ORed among themselves; exact identity or "/regex/". */
  identity: string[];
  /** -S expressions as source text; ANDed. Every node parses them itself. */
  compound: string[];
}

/** What a node exposes to filter evaluation. */
export interface NodeView {
  identity: string;
  /** Structured facts (nested objects and arrays allowed). */
  facts: Record<string, unknown>;
  classes: readonly string[];
  agents: readonly string[];
  /**
   * The answers of the node's data plugins for this request, looked up by data terms in -S expressions: undefined
   * when the plugin is unknown here, failed or ran out of time, which makes the term false.
   */
  data?: DataLookup;
}

/** A data plugin's answer to one call: output fields by name. */
export type DataLookup = (plugin: string, argument: string | undefined) => Readonly<Record<string, unknown>> | undefined;

export type NodePredicate = (node: NodeView) => boolean;

export function emptyFilter(): Filter {
  return { fact: [], cf_class: [], agent: [], identity: [], compound: [] };
}

/** True when the filter places no constraint, so every node matches. */
export function isEmptyFilter(f: Filter): boolean {
  return f.fact.length === 0 && f.cf_class.length === 0 && f.agent.length === 0 && f.identity.length === 0 && f.compound.length === 0;
}
