/** Turns a parsed -S expression into a predicate over one node. */
import { factValueTest, lookupFact } from '../facts.js';
import type { NodeView } from '../model.js';
import { nameMatcher } from '../pattern.js';
import type { CompoundExpr } from './ast.js';

export function compileCompound(expr: CompoundExpr): (node: NodeView) => boolean {
  switch (expr.type) {
    case 'and': {
      const parts = expr.operands.map(compileCompound);
      return (node) => parts.every((p) => p(node));
    }
    case 'or': {
      const parts = expr.operands.map(compileCompound);
      return (node) => parts.some((p) => p(node));
    }
    case 'not': {
      const inner = compileCompound(expr.operand);
      return (node) => !inner(node);
    }
    case 'class': {
      const matches = nameMatcher(expr.value);
      return (node) => node.classes.some(matches);
    }
    case 'fact': {
      const { fact, operator, value } = expr.filter;
      const test = factValueTest(operator, value);
      return (node) => test(lookupFact(node.facts, fact));
    }
    case 'data': {
      const { plugin, argument, field } = expr.call;
      const test = factValueTest(expr.operator, expr.value);
      return (node) => {
        const answer = node.data?.(plugin, argument);
        return answer !== undefined && test(fieldOf(answer, field));
      };
    }
  }
}

/** The field compared; with none named, the only field of a single-output plugin (MCollective's shorthand). */
function fieldOf(answer: Readonly<Record<string, unknown>>, field: string | undefined): unknown {
  if (field !== undefined) return Object.hasOwn(answer, field) ? answer[field] : undefined;
  const keys = Object.keys(answer);
  return keys.length === 1 ? answer[keys[0] as string] : undefined;
}
