/**
 * Builds a wire filter from command-line options, validating everything once on the client
 * so that a bad filter is reported with its position and nothing is sent.
 */
import { parseCompound } from './compound/parser.js';
import { FilterError, rejectControlCharacters } from './errors.js';
import { isBlank, parseFactFilter, parseFactText, skipBlanks } from './fact-term.js';
import { MAX_ENTRIES, MAX_TEXT_LENGTH } from './limits.js';
import { emptyFilter, type FactFilter, type Filter } from './model.js';
import { isNamePattern, nameMatcher } from './pattern.js';
import { assertWireFilter } from './validate.js';

export interface FilterOptions {
  /** -F / --wf */
  facts?: string[];
  /** -C / --wc */
  classes?: string[];
  /** -I / --wi */
  identities?: string[];
  /** -A / --wa */
  agents?: string[];
  /** -S / --select */
  selects?: string[];
  /** -W / --with */
  withs?: string[];
}

/**
 * Validate every option and combine them into one filter. Throws FilterError naming the option. What it
 * returns passes every check a node applies to a filter from the wire, so no node refuses it.
 */
export function buildFilter(opts: FilterOptions): Filter {
  const filter = emptyFilter();
  const facts: FactFilter[] = [];
  const classes: string[] = [];

  for (const text of opts.facts ?? []) facts.push(attributed('-F', () => parseFactFilter(text)));
  for (const text of opts.classes ?? []) classes.push(attributed('-C', () => parseName(text, 'class')));
  for (const text of opts.withs ?? []) {
    const parsed = attributed('-W', () => parseWith(text));
    facts.push(...parsed.fact);
    classes.push(...parsed.cf_class);
  }
  for (const text of opts.identities ?? []) filter.identity.push(attributed('-I', () => parseName(text, 'identity')));
  for (const text of opts.agents ?? []) filter.agent.push(attributed('-A', () => parseName(text, 'agent')));
  for (const text of opts.selects ?? []) {
    attributed('-S', () => parseCompound(text));
    filter.compound.push(text);
  }

  filter.fact = unique(facts, (f) => JSON.stringify([f.fact, f.operator, f.value]));
  filter.cf_class = unique(classes, (c) => c);
  filter.identity = unique(filter.identity, (c) => c);
  filter.agent = unique(filter.agent, (c) => c);
  filter.compound = unique(filter.compound, (c) => c);

  const sources = {
    fact: opts.withs?.length ? '-F and -W' : '-F',
    cf_class: opts.withs?.length ? '-C and -W' : '-C',
    identity: '-I',
    agent: '-A',
    compound: '-S',
  };
  const kinds = { fact: 'fact', cf_class: 'class', identity: 'identity', agent: 'agent', compound: 'compound' };
  for (const kind of Object.keys(sources) as Array<keyof typeof sources>) {
    const count = filter[kind].length;
    if (count > MAX_ENTRIES) {
      throw new FilterError(
        'FILTER_TOO_MANY',
        `${count} distinct ${kinds[kind]} filters (${sources[kind]}); a node accepts at most ${MAX_ENTRIES} of each kind`,
        '',
        0,
      );
    }
  }
  return assertWireFilter(filter);
}

/**
 * Parse -W text: blank-separated words, each a fact filter when it holds a comparison
 * (`=`, `<` or `>`) and a class (exact or /regex/) otherwise. A word that looks like a
 * comparison but does not parse is an error, not a class nobody has. Quotes may hold blanks.
 */
export function parseWith(text: string): { fact: FactFilter[]; cf_class: string[] } {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new FilterError('FILTER_TOO_LONG', `filter longer than ${MAX_TEXT_LENGTH} characters`, text, MAX_TEXT_LENGTH);
  }
  rejectControlCharacters(text);
  const result = { fact: [] as FactFilter[], cf_class: [] as string[] };
  let i = skipBlanks(text, 0);
  if (i === text.length) throw new FilterError('FILTER_EMPTY', 'empty -W filter', text, 0);

  while (i < text.length) {
    const start = i;
    const end = wordEnd(text, start);
    const word = text.slice(start, end);
    if (!isNamePattern(word) && /[=<>]/.test(word)) {
      result.fact.push(parseFactText(text, start, end));
    } else {
      nameMatcher(word, text, start);
      result.cf_class.push(word);
    }
    i = skipBlanks(text, end);
  }
  return result;
}

function wordEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && !isBlank(text[i])) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new FilterError('FILTER_UNTERMINATED_QUOTE', `unterminated ${c} quote`, text, i);
      i = close + 1;
    } else {
      i++;
    }
  }
  return i;
}

/** A class, identity or agent: exact name or /regex/ (any name starting with `/`), surrounding blanks ignored. */
function parseName(text: string, kind: string): string {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new FilterError('FILTER_TOO_LONG', `${kind} longer than ${MAX_TEXT_LENGTH} characters`, text, MAX_TEXT_LENGTH);
  }
  rejectControlCharacters(text);
  const start = skipBlanks(text, 0);
  const name = text.trim();
  if (name.length === 0) throw new FilterError('FILTER_EMPTY', `empty ${kind}`, text, start);
  nameMatcher(name, text, start);
  return name;
}

function attributed<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof FilterError ? e.forOption(option) : e;
  }
}

function unique<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
