// `mco ping` must not pay for the web console: nothing `mco` loads at start imports fastify; `mco web` imports the
// web module when it runs.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/mco.js';

/** Every module reached from `entry` through static imports (dynamic `import()` not followed), and the packages. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const node of source.statements) {
      const spec =
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
          ? node.moduleSpecifier.text
          : undefined;
      if (!spec) continue;
      const typeOnly = (ts.isImportDeclaration(node) && node.importClause?.isTypeOnly) || (ts.isExportDeclaration(node) && node.isTypeOnly);
      if (typeOnly) continue;
      if (spec.startsWith('.')) pending.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the web console loads lazily', () => {
  it('mco reaches neither fastify nor src/web/server.ts at start', () => {
    const { files, packages } = staticGraph(join(ROOT, 'src', 'cli', 'main.ts'));
    expect([...packages].filter((p) => p === 'fastify' || p.startsWith('@fastify/'))).toEqual([]);
    expect(
      [...files].filter((f) => f.includes(`${join('src', 'web')}`) && !f.endsWith('errors.ts') && !f.endsWith('config-keys.ts')),
    ).toEqual([]);
  });
});
