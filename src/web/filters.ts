// Filter text from the browser: mco's compound `-S` language in one string (fact and class terms, and, or, not,
// parentheses), parsed once, with the role's scope ANDed on. `identity=NAME|/re/` and `agent=NAME|/re/` terms, ANDed
// at the top level, become the wire filter's identity and agent parts (`-I`, `-A`): nodes evaluate those natively,
// while a compound term named `identity` would be looked up as a fact.
import { buildFilter, emptyFilter, formatCompound, FilterError, parseCompound, type CompoundExpr, type Filter } from '../filter/index.js';
import { WebError } from './errors.js';

const PSEUDO = new Set(['identity', 'agent']);

function caretError(message: string, source: string, column: number, cause?: unknown): WebError {
  return new WebError('WEB_BAD_FILTER', message, { caret: { column, text: source }, cause });
}

/** The first identity/agent term below the top level, if any. */
function nestedPseudo(e: CompoundExpr): { position: number; fact: string } | undefined {
  switch (e.type) {
    case 'and':
    case 'or':
      for (const o of e.operands) {
        const found = nestedPseudo(o);
        if (found) return found;
      }
      return undefined;
    case 'not':
      return nestedPseudo(e.operand);
    case 'fact':
      return PSEUDO.has(e.filter.fact) ? { position: e.position, fact: e.filter.fact } : undefined;
    case 'class':
    case 'data':
      return undefined;
  }
}

/** The wire filter for the text; 400 with the caret where it does not parse. Blank text is every node. */
export function parseWebFilter(text: string | undefined): Filter {
  const source = text ?? '';
  if (source.trim() === '') return emptyFilter();
  try {
    const ast = parseCompound(source);
    const top = ast.type === 'and' ? ast.operands : [ast];
    const identities: string[] = [];
    const agents: string[] = [];
    const rest: CompoundExpr[] = [];
    for (const term of top) {
      if (term.type === 'fact' && PSEUDO.has(term.filter.fact)) {
        const { fact, operator, value } = term.filter;
        if (operator !== '==' && operator !== '=~')
          throw caretError(`${fact} terms compare with = (a name) or =~ (a /regex/)`, source, term.position);
        if (fact === 'identity' && identities.length > 0)
          throw caretError('one identity term at most: name several as identity=/^(a|b)$/', source, term.position);
        (fact === 'identity' ? identities : agents).push(value);
        continue;
      }
      const nested = nestedPseudo(term);
      if (nested)
        throw caretError(
          `${nested.fact} terms may only be ANDed at the top level of the filter, not inside or/not`,
          source,
          nested.position,
        );
      rest.push(term);
    }
    // Without identity or agent terms the text goes to the nodes as written.
    if (identities.length === 0 && agents.length === 0) return buildFilter({ selects: [source] });
    const compound = rest.length === 0 ? [] : [formatCompound(rest.length === 1 ? rest[0]! : { type: 'and', operands: rest })];
    return buildFilter({ identities, agents, selects: compound });
  } catch (err) {
    if (err instanceof FilterError) throw caretError(err.message, source, err.source === source ? err.position : 0, err);
    throw err;
  }
}

/** The filter with the scope ANDed on (both as compound expressions, which nodes AND). */
export function withScope(filter: Filter, scope: string | null): Filter {
  if (scope === null) return filter;
  return { ...filter, compound: [...filter.compound, scope] };
}

/** The text of the filter the request really carries, for the preview. */
export function scopedText(text: string, scope: string | null): string {
  const user = text.trim();
  if (scope === null) return user;
  return user === '' ? scope : `(${user}) and (${scope})`;
}
