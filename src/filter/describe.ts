/** Readable summaries of filters, for `describe_filter`-style output and discovery shortcuts. */
import { formatCompound, formatFactFilter } from './compound/ast.js';
import { parseCompound } from './compound/parser.js';
import { FilterError } from './errors.js';
import { isEmptyFilter, type Filter } from './model.js';
import { isNamePattern } from './pattern.js';

/**
 * The identities when the filter holds only plain (non-regex) identities and nothing else,
 * so discovery can skip the network and address them directly; otherwise null.
 */
export function plainIdentities(filter: Filter): string[] | null {
  const onlyIdentities =
    filter.identity.length > 0 &&
    filter.fact.length === 0 &&
    filter.cf_class.length === 0 &&
    filter.agent.length === 0 &&
    filter.compound.length === 0;
  if (!onlyIdentities || filter.identity.some(isNamePattern)) return null;
  return [...filter.identity];
}

/** A multi-line description of what the filter selects. */
export function describeFilter(filter: Filter): string {
  if (isEmptyFilter(filter)) return 'Matches every node (empty filter)';

  const sections: string[] = [];
  const section = (title: string, lines: string[]): void => {
    if (lines.length > 0) sections.push([title, ...lines.map((l) => `  ${l}`)].join('\n'));
  };
  section('Identity filters (any of):', filter.identity);
  section('Class filters (all of):', filter.cf_class);
  section('Fact filters (all of):', filter.fact.map(formatFactFilter));
  section('Agent filters (all of):', filter.agent);
  section('Compound filters (all of):', filter.compound.flatMap(describeCompound));
  return sections.join('\n');
}

function describeCompound(source: string): string[] {
  try {
    return [source, `  parsed as: ${formatCompound(parseCompound(source))}`];
  } catch (e) {
    if (e instanceof FilterError) return [source, `  invalid: ${e.message} (at position ${e.position})`];
    throw e;
  }
}
