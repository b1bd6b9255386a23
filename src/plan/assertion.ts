// Assertions over one node's reply data (`idling=true and enabled=true`): the compound filter language, with the
// reply's data where a filter has facts, so comparisons follow the fact rules (numbers, versions, RE2 regexes).
import { compileCompound, parseCompound, type CompoundExpr } from '../filter/index.js';

export type ReplyPredicate = (data: Record<string, unknown>) => boolean;

export function parseAssertion(text: string): CompoundExpr {
  const expr = parseCompound(text);
  const bare = findBareWord(expr);
  // A bare word in a filter is a class; a reply has none, so it can only be a mistake (`idling` for `idling=true`).
  if (bare) throw new Error(`'${bare}' is not a comparison; write ${bare}=true, ${bare}>0 or similar`);
  return expr;
}

function findBareWord(expr: CompoundExpr): string | undefined {
  switch (expr.type) {
    case 'and':
    case 'or':
      for (const e of expr.operands) {
        const hit = findBareWord(e);
        if (hit) return hit;
      }
      return undefined;
    case 'not':
      return findBareWord(expr.operand);
    case 'class':
      return expr.value;
    case 'fact':
      return undefined;
  }
}

export function compileAssertion(text: string): ReplyPredicate {
  const test = compileCompound(parseAssertion(text));
  return (data) => test({ identity: '', facts: data, classes: [], agents: [] });
}
