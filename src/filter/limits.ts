/**
 * Bounds applied to every filter, whether typed by an operator or received from the wire.
 * schemas/filter.schema.json states the same numbers; a unit test keeps the two in step.
 */

/** Longest accepted regular expression body, in characters. */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * Most copies the counted repetitions of one regular expression may add (`[a-z]{0,300}` adds 299): RE2
 * compiles every copy, and each costs time when compiling and when matching, so this bounds both.
 */
export const MAX_PATTERN_EXPANSION = 256;

/** Longest accepted filter text: a class, identity, agent, fact value, -F text or -S expression. */
export const MAX_TEXT_LENGTH = 4096;

/** Longest accepted fact name (a dotted path). */
export const MAX_FACT_NAME_LENGTH = 256;

/** Most entries accepted in any one of the five filter arrays. */
export const MAX_ENTRIES = 256;

/** Deepest nesting of parentheses and `not` in a compound expression. */
export const MAX_NESTING_DEPTH = 64;

/** Most distinct data plugin calls (plugin and argument) in one filter: each is a query the node runs for the request. */
export const MAX_DATA_CALLS = 32;

/** Most compiled filters kept in memory at once. */
export const FILTER_CACHE_LIMIT = 1000;

/** Most compiled regular expressions kept in memory at once. */
export const PATTERN_CACHE_LIMIT = 1000;
