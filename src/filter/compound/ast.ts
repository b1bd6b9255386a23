/**
 * The -S compound language (MCollective's `--select`):
 *
 *   expr    := and ( "or" and )*
 *   and     := unary ( "and" unary )*
 *   unary   := ( "not" | "!" ) unary | primary
 *   primary := "(" expr ")" | term
 *   term    := class-name | /class-regex/ | fact <op> value
 *
 * Keywords are case-insensitive. A term containing an operator is a fact match whose value
 * may be quoted ('a b') or a /regex/; any other term matches a configuration-management class.
 */
import type { FactFilter } from '../model.js';

export type CompoundExpr = CompoundAnd | CompoundOr | CompoundNot | CompoundClassTerm | CompoundFactTerm;

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
