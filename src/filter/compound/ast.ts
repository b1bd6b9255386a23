/**
 * The -S compound language (MCollective's `--select`):
 *
 *   expr    := and ( "or" and )*
 *   and     := unary ( "and" unary )*
 *   unary   := ( "not" | "!" ) unary | primary
 *   primary := "(" expr ")" | term
 *   term    := class-name | /class-regex/ | fact <op> value | data-call <op> value
 *   data-call := plugin "(" [ 'argument' ] ")" [ "." field ]
 *
 * Keywords are case-insensitive. A term containing an operator is a fact match whose value
 * may be quoted ('a b') or a /regex/; any other term matches a configuration-management class.
 * A data call (MCollective's data plugins: `puppet().enabled=false`, `fact('os.family').value=Debian`)
 * is answered by the node's data plugin of that name and compared as a fact value is.
 */
import type { FactFilter, FactOperator } from '../model.js';

export type CompoundExpr = CompoundAnd | CompoundOr | CompoundNot | CompoundClassTerm | CompoundFactTerm | CompoundDataTerm;

export interface CompoundAnd {
  type: 'and';
  operands: CompoundExpr[];
}

export interface CompoundOr {
  type: 'or';
  operands: CompoundExpr[];
}

export interface CompoundNot {
  type: 'not';
  operand: CompoundExpr;
}

/** Matches when the node has a class equal to `value`, or matching it when `value` is "/regex/". */
export interface CompoundClassTerm {
  type: 'class';
  value: string;
  /** Index of the term in the expression text. */
  position: number;
}

export interface CompoundFactTerm {
  type: 'fact';
  filter: FactFilter;
  /** Index of the term in the expression text. */
  position: number;
}

/** One data plugin query: the plugin, its argument when given, and the output field compared. */
export interface DataCall {
  plugin: string;
  argument?: string;
  field?: string;
}

/** `plugin('argument').field <op> value`, with where each part starts in the expression text (for carets). */
export interface CompoundDataTerm {
  type: 'data';
  call: DataCall;
  operator: FactOperator;
  value: string;
  /** Index of the term (its plugin name) in the expression text. */
  position: number;
  /** Index of the argument's first character, or of the closing parenthesis when there is none. */
  argumentPosition: number;
  /** Index of the field name, or of where `.field` would go. */
  fieldPosition: number;
}

/** Canonical text of an expression, fully explicit about grouping (`a or (b and not c)`). */
export function formatCompound(expr: CompoundExpr): string {
  switch (expr.type) {
    case 'or':
      return expr.operands.map(grouped).join(' or ');
    case 'and':
      return expr.operands.map(grouped).join(' and ');
    case 'not':
      return `not ${grouped(expr.operand)}`;
    case 'class':
      return expr.value;
    case 'fact':
      return formatFactFilter(expr.filter);
    case 'data':
      return `${formatDataCall(expr.call)} ${expr.operator} ${quoteIfNeeded(expr.value)}`;
  }
}

/** `plugin('argument').field`, the argument quoted with whichever quote it does not contain. */
export function formatDataCall(call: DataCall): string {
  const argument = call.argument === undefined ? '' : call.argument.includes("'") ? `"${call.argument}"` : `'${call.argument}'`;
  return `${call.plugin}(${argument})${call.field === undefined ? '' : `.${call.field}`}`;
}

/** Every data term of an expression, in the order they are written. */
export function dataTermsOf(expr: CompoundExpr): CompoundDataTerm[] {
  switch (expr.type) {
    case 'and':
    case 'or':
      return expr.operands.flatMap(dataTermsOf);
    case 'not':
      return dataTermsOf(expr.operand);
    case 'data':
      return [expr];
    default:
      return [];
  }
}

function grouped(expr: CompoundExpr): string {
  return expr.type === 'or' || expr.type === 'and' ? `(${formatCompound(expr)})` : formatCompound(expr);
}

/** `fact op value`, quoting the value when it would not read back as one word. */
export function formatFactFilter(filter: FactFilter): string {
  return `${filter.fact} ${filter.operator} ${quoteIfNeeded(filter.value)}`;
}

function quoteIfNeeded(value: string): string {
  if (value !== '' && !/[\s()'"]/.test(value)) return value;
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}
