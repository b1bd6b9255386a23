/**
 * Compiles a wire filter into one predicate per distinct filter. A process simulating
 * thousands of nodes sees the same few filters again and again, so compiled predicates are
 * kept in a bounded least-recently-used cache keyed by the filter's canonical JSON, and by the
 * filter object itself while it lives (the simulator's nodes share one decoded request).
 */
import { dataTermsOf, type DataCall } from './compound/ast.js';
import { compileCompound } from './compound/evaluate.js';
import { dataCallKey } from './data.js';
import { parseCompound } from './compound/parser.js';
import { factValueTest, lookupFact } from './facts.js';
import { FILTER_CACHE_LIMIT } from './limits.js';
import type { Filter, NodePredicate, NodeView } from './model.js';
import { nameMatcher } from './pattern.js';
import { assertWireFilter } from './validate.js';

/** The agent name every node counts as having. */
const EVERY_NODE_AGENT = 'mcollective';

/** Keys longer than this are not cached, so a few huge filters cannot pin megabytes of memory. */
const MAX_CACHED_KEY_LENGTH = 64 * 1024;

/** A compiled filter, with the data plugin calls a node must answer before evaluating it (none for most). */
export type CompiledFilter = NodePredicate & { readonly dataCalls: readonly DataCall[] };

const cache = new Map<string, CompiledFilter>();
let byObject = new WeakMap<Filter, CompiledFilter>();

/**
 * A predicate for `filter`. Throws FilterError when the filter is malformed or holds a bad regex or expression.
 * The filter must not be changed after it was compiled: the predicate is remembered against the object.
 */
export function compileFilter(filter: Filter): CompiledFilter {
  const known = byObject.get(filter);
  if (known) return known;
  const predicate = compileWire(assertWireFilter(filter));
  byObject.set(filter, predicate);
  return predicate;
}

function compileWire(wire: Filter): CompiledFilter {
  const key = cacheKey(wire);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const predicate = buildPredicate(wire);
  if (key.length <= MAX_CACHED_KEY_LENGTH) {
    if (cache.size >= FILTER_CACHE_LIMIT) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, predicate);
  }
  return predicate;
}

export function matchesFilter(filter: Filter, node: NodeView): boolean {
  return compileFilter(filter)(node);
}

/** Forget every compiled filter (for tests and configuration reloads). */
export function clearFilterCache(): void {
  cache.clear();
  byObject = new WeakMap();
}

export function filterCacheSize(): number {
  return cache.size;
}

function cacheKey(f: Filter): string {
  return JSON.stringify([f.fact.map((x) => [x.fact, x.operator, x.value]), f.cf_class, f.agent, f.identity, f.compound]);
}

function buildPredicate(f: Filter): CompiledFilter {
  const identities = f.identity.map((text) => nameMatcher(text));
  // Every node has MCollective's own agent: `-A mcollective` selects them all, as in MCollective.
  const agents = f.agent.filter((text) => text !== EVERY_NODE_AGENT).map((text) => nameMatcher(text));
  const classes = f.cf_class.map((text) => nameMatcher(text));
  const facts = f.fact.map(({ fact, operator, value }) => {
    const test = factValueTest(operator, value);
    return (node: NodeView) => test(lookupFact(node.facts, fact));
  });
  const parsed = f.compound.map((source) => parseCompound(source));
  const compounds = parsed.map(compileCompound);
  const calls = new Map<string, DataCall>();
  for (const term of parsed.flatMap(dataTermsOf)) {
    const { plugin, argument } = term.call;
    calls.set(dataCallKey(plugin, argument), argument === undefined ? { plugin } : { plugin, argument });
  }

  // Cheapest checks first; every list but identity is ANDed.
  const predicate: NodePredicate = (node) =>
    (identities.length === 0 || identities.some((m) => m(node.identity))) &&
    agents.every((m) => node.agents.some(m)) &&
    classes.every((m) => node.classes.some(m)) &&
    facts.every((test) => test(node)) &&
    compounds.every((test) => test(node));
  return Object.assign(predicate, { dataCalls: [...calls.values()] });
}
