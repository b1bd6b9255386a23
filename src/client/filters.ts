// Filters for programs: built from an object, or parsed from the strings `mco` takes (-F, -C, -I, -A, -S, -W).
// Both end in buildFilter, so a program's filter is checked exactly as a command line's is.
import { buildFilter, type FactOperator, type Filter, type FilterOptions } from '../filter/index.js';
import { assertWireFilter } from '../filter/validate.js';

type OneOrMany<T> = T | readonly T[];

/** A fact comparison; `value` as a RegExp means `=~`. */
export interface FactSpec {
  fact: string;
  /** Default `==`; `=` is accepted as `==`. */
  operator?: FactOperator | '=';
  value: string | number | boolean | RegExp;
}

/** Every part is optional and ANDed with the others; identities are ORed among themselves, as with `-I`. */
export interface FilterSpec {
  /** `-F` text (`os.family=Debian`, `processors.count>=4`, `role=/^web/`) or a FactSpec. */
  fact?: OneOrMany<string | FactSpec>;
  /** `-C`: a Puppet class, exact or RegExp. */
  class?: OneOrMany<string | RegExp>;
  /** `-I`: an identity, exact or RegExp. */
  identity?: OneOrMany<string | RegExp>;
  /** `-A`: an agent the node runs, exact or RegExp. */
  agent?: OneOrMany<string | RegExp>;
  /** `-S`: a compound expression, `role=web and (os.family=Debian or !/legacy/)`. */
  select?: OneOrMany<string>;
  /** `-W`: blank-separated fact and class filters. */
  with?: OneOrMany<string>;
}

const many = <T>(v: OneOrMany<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? [...(v as readonly T[])] : [v as T]);

const patternText = (p: string | RegExp): string => (typeof p === 'string' ? p : `/${p.source}/${p.ignoreCase ? 'i' : ''}`);

function factText(f: string | FactSpec): string {
  if (typeof f === 'string') return f;
  if (f.value instanceof RegExp) return `${f.fact}=~${patternText(f.value)}`;
  const operator = f.operator === undefined || f.operator === '=' ? '==' : f.operator;
  return `${f.fact}${operator}${String(f.value)}`;
}

/** A checked wire filter from an object; throws FilterError (with a stable `code`) naming what is wrong. */
export function filter(spec: FilterSpec = {}): Filter {
  return buildFilter({
    facts: many(spec.fact).map(factText),
    classes: many(spec.class).map(patternText),
    identities: many(spec.identity).map(patternText),
    agents: many(spec.agent).map(patternText),
    selects: many(spec.select),
    withs: many(spec.with),
  });
}

/** A checked wire filter from `mco`'s option strings: `parseFilter({ facts: ['os.family=Debian'], selects: ['role=web'] })`. */
export function parseFilter(options: FilterOptions): Filter {
  return buildFilter(options);
}

/** What a request option names as its filter: nothing (every node), a FilterSpec, or a Filter already built. */
export type FilterInput = Filter | FilterSpec | undefined;

function isWireFilter(value: FilterInput): value is Filter {
  return (
    value !== undefined &&
    ['fact', 'cf_class', 'agent', 'identity', 'compound'].every((k) => Array.isArray((value as Record<string, unknown>)[k]))
  );
}

export function resolveFilter(input: FilterInput): Filter {
  if (input === undefined) return filter();
  return isWireFilter(input) ? assertWireFilter(structuredClone(input)) : filter(input);
}
