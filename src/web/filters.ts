// Filter text from the browser: exactly mco's compound `-S` language in one string (which covers fact, class, agent
// and identity terms), parsed once, with the role's scope ANDed on.
import { buildFilter, emptyFilter, FilterError, type Filter } from '../filter/index.js';
import { WebError } from './errors.js';

/** The wire filter for the text; 400 with the caret where it does not parse. Blank text is every node. */
export function parseWebFilter(text: string | undefined): Filter {
  const source = text ?? '';
  if (source.trim() === '') return emptyFilter();
  try {
    return buildFilter({ selects: [source] });
  } catch (err) {
    if (err instanceof FilterError) {
      throw new WebError('WEB_BAD_FILTER', err.message, {
        caret: { column: err.source === source ? err.position : 0, text: source },
        cause: err,
      });
    }
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
