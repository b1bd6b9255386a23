/** Recursive-descent parser for -S expressions: not binds tighter than and, and tighter than or. */
import { FilterError, type FilterErrorCode } from '../errors.js';
import { MAX_NESTING_DEPTH } from '../limits.js';
import type { CompoundExpr } from './ast.js';
import { scanCompound, type Token } from './scanner.js';

/** Parse an -S expression. Throws FilterError pointing at the offending character. */
export function parseCompound(text: string): CompoundExpr {
  return new Parser(text, scanCompound(text)).parse();
}

class Parser {
  private next = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): CompoundExpr {
    if (this.tokens.length === 0) {
      throw this.error('FILTER_EMPTY_EXPRESSION', 'empty expression', 0);
    }
    const expr = this.parseOr(undefined);
    const extra = this.peek();
    if (extra) {
      if (extra.kind === 'rparen') throw this.error('FILTER_UNBALANCED_PAREN', "unmatched ')'", extra.position);
      throw this.missingConnective(extra);
    }
    return expr;
  }

  /** `after` is the token consumed just before this operand, used to explain what is missing. */
  private parseOr(after: Token | undefined): CompoundExpr {
    const operands = [this.parseAnd(after)];
    for (let t = this.peek(); t?.kind === 'or'; t = this.peek()) {
      this.next++;
      operands.push(this.parseAnd(t));
    }
    return operands.length === 1 ? (operands[0] as CompoundExpr) : { type: 'or', operands };
  }

  private parseAnd(after: Token | undefined): CompoundExpr {
    const operands = [this.parseUnary(after)];
    for (let t = this.peek(); t?.kind === 'and'; t = this.peek()) {
      this.next++;
      operands.push(this.parseUnary(t));
    }
    return operands.length === 1 ? (operands[0] as CompoundExpr) : { type: 'and', operands };
  }

  private parseUnary(after: Token | undefined): CompoundExpr {
    const t = this.peek();
    if (t?.kind !== 'not') return this.parsePrimary(after);
    this.next++;
    this.enter(t);
    const operand = this.parseUnary(t);
    this.depth--;
    return { type: 'not', operand };
  }

  private parsePrimary(after: Token | undefined): CompoundExpr {
    const t = this.peek();
    if (!t) {
      // Only reachable after an operator or '(' (an empty token list is caught earlier).
      if (after?.kind === 'lparen') throw this.unclosed(after);
      throw this.dangling(after as Token);
    }
    switch (t.kind) {
      case 'term':
        this.next++;
        return t.term;
      case 'lparen': {
        this.next++;
        this.enter(t);
        const inner = this.parseOr(t);
        const close = this.peek();
        if (!close) throw this.unclosed(t);
        if (close.kind !== 'rparen') throw this.missingConnective(close);
        this.next++;
        this.depth--;
        return inner;
      }
      case 'rparen':
        if (after?.kind === 'lparen') throw this.error('FILTER_EMPTY_EXPRESSION', 'empty parentheses', t.position);
        if (after) throw this.dangling(after);
        throw this.error('FILTER_UNBALANCED_PAREN', "unmatched ')'", t.position);
      case 'and':
      case 'or':
        throw this.error('FILTER_DANGLING_OPERATOR', `'${t.text}' needs a term on its left`, t.position);
      case 'not':
        // parseUnary consumes every 'not'; kept for exhaustiveness.
        throw this.error('FILTER_DANGLING_OPERATOR', `unexpected '${t.text}'`, t.position);
    }
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw this.error('FILTER_TOO_DEEP', `expression nested deeper than ${MAX_NESTING_DEPTH} levels`, t.position);
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.next];
  }

  private dangling(op: Token): FilterError {
    const text = 'text' in op ? op.text : String(op.kind);
    return this.error('FILTER_DANGLING_OPERATOR', `'${text}' has nothing on its right`, op.position);
  }

  private unclosed(open: Token): FilterError {
    return this.error('FILTER_UNBALANCED_PAREN', "'(' is never closed", open.position);
  }

  private missingConnective(t: Token): FilterError {
    return this.error('FILTER_MISSING_CONNECTIVE', "expected 'and' or 'or' here", t.position);
  }

  private error(code: FilterErrorCode, message: string, position: number): FilterError {
    return new FilterError(code, message, this.source, position);
  }
}
