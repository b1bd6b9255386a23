// fact('path'): a fact's value, dotted through structured facts (`fact('os.family').value=Debian`), as MCollective's
// fact data plugin. Answers at once from the facts the node already holds.
import { lookupFact } from '../../../filter/index.js';
import type { DataPlugin } from '../../../server/data-plugin.js';
import { builtinDataDDL } from '../load-ddl.js';

function typeOf(value: unknown): string {
  if (value === undefined || value === null) return 'undef';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'hash';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return typeof value;
}

export function factData(): DataPlugin {
  return {
    ddl: builtinDataDDL('fact'),
    query(argument, ctx) {
      const value = argument === undefined ? undefined : lookupFact(ctx.node.facts(), argument);
      const exists = value !== undefined && value !== null;
      return exists ? { exists, value, type: typeOf(value) } : { exists };
    },
  };
}
