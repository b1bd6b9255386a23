/**
 * Filters decide which nodes act on a request: parsed once on the client, carried on the
 * wire as plain data (schemas/filter.schema.json), evaluated on every node.
 */
export {
  FACT_OPERATORS,
  emptyFilter,
  isEmptyFilter,
  type FactFilter,
  type DataLookup,
  type FactOperator,
  type Filter,
  type NodePredicate,
  type NodeView,
} from './model.js';
export { FilterError, type FilterErrorCode } from './errors.js';
export {
  FILTER_CACHE_LIMIT,
  MAX_DATA_CALLS,
  MAX_ENTRIES,
  MAX_FACT_NAME_LENGTH,
  MAX_NESTING_DEPTH,
  MAX_PATTERN_EXPANSION,
  MAX_PATTERN_LENGTH,
  MAX_TEXT_LENGTH,
} from './limits.js';
export { parseFactFilter } from './fact-term.js';
export { buildFilter, parseWith, type FilterOptions } from './build.js';
export { parseCompound } from './compound/parser.js';
export {
  formatCompound,
  formatFactFilter,
  type CompoundAnd,
  dataTermsOf,
  formatDataCall,
  type CompoundClassTerm,
  type CompoundDataTerm,
  type DataCall,
  type CompoundExpr,
  type CompoundFactTerm,
  type CompoundNot,
  type CompoundOr,
} from './compound/ast.js';
export { compileCompound } from './compound/evaluate.js';
export { compareFact, lookupFact } from './facts.js';
export { isNamePattern, isRegexValue } from './pattern.js';
export { assertWireFilter } from './validate.js';
export { clearFilterCache, compileFilter, filterCacheSize, matchesFilter, type CompiledFilter } from './compile.js';
export {
  checkDataTerm,
  checkDataTerms,
  checkFilterData,
  dataCallKey,
  dataCallsOf,
  usesDataPlugins,
  type DataCatalog,
  type DataPluginShape,
} from './data.js';
export { describeFilter, plainIdentities } from './describe.js';
