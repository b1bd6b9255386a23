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
  }
}
