import { CONFIG_KEYS, type ConfigKeyDeclaration } from './keys.js';
import { describeExpected, formatValue } from './values.js';

/** The Markdown reference table of every config key, generated from the declarations. */
export function configReference(): string {
  const rows = CONFIG_KEYS.map((declaration) =>
    [`\`${declaration.name}\``, describeExpected(declaration), describeDefault(declaration), declaration.scope, declaration.description]
      .map(escapeCell)
      .join(' | '),
  );
  return ['| key | type | default | scope | description |', '| --- | --- | --- | --- | --- |', ...rows.map((row) => `| ${row} |`), ''].join(
    '\n',
  );
}

function describeDefault(declaration: ConfigKeyDeclaration): string {
  if (declaration.defaultDoc !== undefined) return declaration.defaultDoc;
  if (typeof declaration.default === 'function') return '(computed)';
  const text = formatValue(declaration, declaration.default);
  return text === '' ? '(empty)' : `\`${text}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
