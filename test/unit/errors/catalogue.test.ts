// Every error troupe raises on purpose descends from TroupeError, is in the catalogue, and carries a documented code.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TroupeError } from '../../../src/errors.js';
import { ERROR_CATALOGUE, errorCodeReference } from '../../../src/cli/error-catalogue.js';
import { ROOT } from '../../helpers/mco.js';
import { sampleOf } from './samples.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'app' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface ClassDeclaration {
  name: string;
  parent: string;
  exported: boolean;
  file: string;
}

/** Every `class X extends Y` in src/. */
const declarations: ClassDeclaration[] = sourceFiles(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^(export )?(?:abstract )?class (\w+)(?:<[^>]*>)? extends ([\w.]+)/gm)].map((m) => ({
    name: m[2]!,
    parent: m[3]!,
    exported: m[1] !== undefined,
    file: relative(ROOT, file),
  })),
);
const parentOf = new Map(declarations.map((d) => [d.name, d.parent]));

/** The chain of ancestors by name, as far as src/ declares them. */
function ancestry(name: string): string[] {
  const chain: string[] = [];
  for (let at = parentOf.get(name); at !== undefined && chain.length < 20; at = parentOf.get(at)) chain.push(at);
  return chain;
}

describe('error classes', () => {
  it('only TroupeError extends Error: every other error class descends from it', () => {
    const direct = declarations.filter((d) => d.parent === 'Error' && d.name !== 'TroupeError');
    expect(direct.map((d) => `${d.name} (${d.file})`)).toEqual([]);
    expect(declarations.find((d) => d.name === 'TroupeError')?.file).toBe(join('src', 'errors.ts'));
  });

  it('every exported one is in the catalogue', () => {
    const errors = declarations.filter((d) => d.exported && ancestry(d.name).includes('TroupeError'));
    expect(errors.length).toBeGreaterThanOrEqual(20);
    const catalogued = new Set(ERROR_CATALOGUE.map((f) => f.type.name));
    expect(errors.filter((d) => !catalogued.has(d.name)).map((d) => `${d.name} (${d.file})`)).toEqual([]);
  });

  it('each family has codes, each code a one-line meaning, and every instance carries the code it was made with', () => {
    for (const family of ERROR_CATALOGUE) {
      const name = family.type.name;
      expect(family.type.prototype, name).toBeInstanceOf(TroupeError);
      const codes = Object.entries(family.codes);
      expect(codes.length, name).toBeGreaterThan(0);
      for (const [code, meaning] of codes) {
        expect(code, name).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
        expect(meaning.trim(), `${name} ${code}`).not.toBe('');
        expect(meaning, `${name} ${code}`).not.toMatch(/\n/);
        const err = sampleOf(family.type, code);
        expect(err, `${name} ${code}`).toBeInstanceOf(family.type);
        expect(err.code, name).toBe(code);
        expect(err.name, name).toBe(name);
        expect(err.exitCode, name).toBe(1);
      }
    }
  });

  it('the generated reference lists every code with its class', () => {
    const table = errorCodeReference();
    for (const family of ERROR_CATALOGUE) {
      for (const code of Object.keys(family.codes)) expect(table).toContain(`| \`${code}\` | ${family.type.name} (${family.module}) |`);
    }
  });
});
