/**
 * Data plugin calls in -S expressions, checked against what a plugin declares (its DDL): the client refuses an
 * unknown plugin, field or a bad argument with a caret before anything is sent; a node applies the same check to
 * what arrives and matches nothing it cannot answer.
 */
import { dataTermsOf, type CompoundDataTerm, type DataCall } from './compound/ast.js';
import { parseCompound } from './compound/parser.js';
import { FilterError } from './errors.js';
import { MAX_DATA_CALLS } from './limits.js';
import type { Filter } from './model.js';

/** What checking a call needs to know of one data plugin. */
export interface DataPluginShape {
  name: string;
  /** The plugin's one input, when it takes one; `check` returns why an argument is refused, or undefined. */
  input?: { optional: boolean; check(argument: string): string | undefined };
  outputs: readonly string[];
}

/** The data plugins known here (the client's DDLs, or the node's plugins). */
export interface DataCatalog {
  find(name: string): DataPluginShape | undefined;
  names(): readonly string[];
}

/** Check every data call of an -S expression; throws FilterError pointing at the offending characters. */
export function checkDataTerms(source: string, catalog: DataCatalog): void {
  for (const term of dataTermsOf(parseCompound(source))) checkDataTerm(source, term, catalog);
}

export function checkDataTerm(source: string, term: CompoundDataTerm, catalog: DataCatalog): void {
  const { plugin, argument, field } = term.call;
  const shape = catalog.find(plugin);
  if (!shape) {
    const known = [...catalog.names()].sort();
    const list = known.length ? ` (known: ${known.map((n) => `${n}()`).join(', ')})` : ' (none are known here)';
    throw new FilterError(
      'FILTER_UNKNOWN_DATA_PLUGIN',
      `unknown data plugin '${plugin}'${list}`,
      source,
      term.position,
      undefined,
      plugin.length,
    );
  }
  if (argument === undefined) {
    if (shape.input && !shape.input.optional) {
      throw new FilterError('FILTER_BAD_DATA_ARGUMENT', `${plugin}() needs an argument: ${plugin}('...')`, source, term.argumentPosition);
    }
  } else if (!shape.input) {
    throw new FilterError(
      'FILTER_BAD_DATA_ARGUMENT',
      `${plugin}() takes no argument`,
      source,
      term.argumentPosition,
      undefined,
      argument.length + 2,
    );
  } else {
    const why = shape.input.check(argument);
    if (why !== undefined) {
      throw new FilterError(
        'FILTER_BAD_DATA_ARGUMENT',
        `${plugin}('${argument}'): ${why}`,
        source,
        term.argumentPosition + 1,
        undefined,
        argument.length,
      );
    }
  }
  const fields = [...shape.outputs].sort();
  if (field === undefined) {
    if (shape.outputs.length !== 1) {
      throw new FilterError(
        'FILTER_UNKNOWN_DATA_FIELD',
        `name a field of ${plugin}(): one of ${fields.join(', ')}`,
        source,
        term.fieldPosition,
      );
    }
  } else if (!shape.outputs.includes(field)) {
    throw new FilterError(
      'FILTER_UNKNOWN_DATA_FIELD',
      `data plugin '${plugin}' has no field '${field}' (fields: ${fields.join(', ')})`,
      source,
      term.fieldPosition,
      undefined,
      field.length,
    );
  }
}

/** The distinct data calls (plugin and argument) of a filter's -S expressions; throws FilterError on bad text. */
export function dataCallsOf(filter: Pick<Filter, 'compound'>): DataCall[] {
  const seen = new Map<string, DataCall>();
  for (const source of filter.compound) {
    for (const { call } of dataTermsOf(parseCompound(source))) {
      const key = dataCallKey(call.plugin, call.argument);
      if (!seen.has(key))
        seen.set(key, call.argument === undefined ? { plugin: call.plugin } : { plugin: call.plugin, argument: call.argument });
    }
  }
  return [...seen.values()];
}

/** One key per plugin and argument: the cache key of a data query within a request. */
export function dataCallKey(plugin: string, argument: string | undefined): string {
  return argument === undefined ? `${plugin}()` : `${plugin}(${JSON.stringify(argument)})`;
}

/** True when any -S expression of the filter calls a data plugin (cheap: text that cannot hold a call is skipped). */
export function usesDataPlugins(filter: Pick<Filter, 'compound'>): boolean {
  return filter.compound.some((source) => source.includes('(') && dataCallsOf({ compound: [source] }).length > 0);
}

/** Check every data call of a filter, and that there are not too many; errors are attributed to -S. */
export function checkFilterData(filter: Pick<Filter, 'compound'>, catalog: DataCatalog): void {
  const calls = dataCallsOf(filter).length;
  if (calls > MAX_DATA_CALLS) {
    throw new FilterError(
      'FILTER_TOO_MANY',
      `${calls} distinct data plugin calls; a node runs at most ${MAX_DATA_CALLS} for a request`,
      '',
      0,
      '-S',
    );
  }
  for (const source of filter.compound) {
    try {
      checkDataTerms(source, catalog);
    } catch (e) {
      throw e instanceof FilterError ? e.forOption('-S') : e;
    }
  }
}
