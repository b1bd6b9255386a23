// The import graph of src/ against the module map of the architecture (ARCHITECTURE.md, "Module map"): which
// top-level folder may import which, the "Never" rules, and no import cycles between files or folders.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/mco.js';

const SRC = join(ROOT, 'src');

/**
 * What each top-level folder may import besides itself, as the module map's "may import" column says; a folder may
 * also import whatever those may (the map lists layers). `src/index.ts` is the library's entry.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // src/errors.ts: the one error base (TroupeError) and its catalogue, below every folder.
  errors: [],
  filter: [],
  ddl: [],
  config: [],
  protocol: ['filter'],
  security: ['protocol', 'filter'],
  transport: ['protocol', 'config'],
  server: ['protocol', 'filter', 'ddl', 'config', 'security', 'transport'],
  client: ['protocol', 'filter', 'ddl', 'config', 'security', 'transport'],
  // "The interfaces they implement": an agent's is server/agent.ts (checked below), its DDL's ddl/.
  plugins: ['server', 'ddl', 'filter', 'protocol', 'config'],
  plan: ['client'],
  web: ['client', 'plan', 'security'],
  broker: ['security', 'config'],
  index: ['client', 'plan'],
  devkit: ['*'],
  cli: ['*'],
};

/** Composition roots: they assemble the concrete parts and may import anything. */
const COMPOSITION_ROOTS = new Set(['cli', 'devkit']);

/** Concrete connectors; only the connector registry (transport/factory.ts) and composition roots import them. */
const CONCRETE_TRANSPORT = /^transport\/(nats|amqp)\.ts$|^transport\/amqp\//;
const CONNECTOR_REGISTRY = 'transport/factory.ts';

/**
 * A plugin's config keys are declared beside it (`config-keys.ts`) but belong to the config layer: such a file
 * imports only config/key-spec.ts, and only config/keys.ts, which collects them, imports it.
 */
const KEY_DECLARATION = /(^|\/)config-keys\.ts$/;
const KEY_SPEC = 'config/key-spec.ts';
const KEY_COLLECTOR = 'config/keys.ts';

/**
 * Where today's code imports across a rule, and why. Each must still be in use (a test below says when one is not),
 * so the list only shrinks.
 */
const EXCEPTIONS: ReadonlyArray<{ from: string; to: string; reason: string }> = [
  {
    from: 'ddl/coerce.ts',
    to: 'config/values.ts',
    reason: 'a DDL boolean typed on the command line takes the words a config boolean does: one definition of them',
  },
  {
    from: 'security/from-config.ts',
    to: 'config/index.ts',
    reason: 'the providers are built from configuration in security/, so that the library (client/) and mco build them alike',
  },
  {
    from: 'client/context.ts',
    to: 'plugins/agents/ddl-dir.ts',
    reason: "the client reads the built-in agents' DDLs, which sit beside their code: it imports the directory's path, no agent",
  },
  {
    from: 'client/context.ts',
    to: 'plugins/data/ddl-dir.ts',
    reason: "the client checks -S data calls against the built-in data plugins' DDLs: it imports the directory's path, no plugin",
  },
];
const excepted = (e: { from: string; to: string }) => EXCEPTIONS.some((x) => x.from === e.from && x.to === e.to);

interface Edge {
  from: string;
  to: string;
  /** Erased at compile time (`import type`, `export type`): no load-order effect, but still a dependency. */
  typeOnly: boolean;
  /** `await import(…)`: loaded when first used, so it cannot close a load cycle. */
  dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return (
    !clause.name &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  );
}

/** The relative imports of one file, by TypeScript's own parser. */
function importsOf(file: string): Array<{ specifier: string; typeOnly: boolean; dynamic: boolean }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Array<{ specifier: string; typeOnly: boolean; dynamic: boolean }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyImport(node), dynamic: false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push({ specifier: arg.text, typeOnly: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((i) => i.specifier.startsWith('.'));
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));
const known = new Set(files);

function target(from: string, specifier: string): string {
  const path = relative(SRC, resolve(SRC, dirname(from), specifier));
  const candidates = [path.replace(/\.js$/, '.ts'), `${path}.ts`, join(path, 'index.ts')];
  const hit = candidates.find((c) => known.has(c));
  if (!hit) throw new Error(`${from} imports '${specifier}', which is no file of src/`);
  return hit;
}

const edges: Edge[] = files.flatMap((from) =>
  importsOf(join(SRC, from)).map((i) => ({ from, to: target(from, i.specifier), typeOnly: i.typeOnly, dynamic: i.dynamic })),
);

/** The top-level folder a file belongs to for these rules (`src/index.ts` is `index`; key declarations are config's). */
function folderOf(file: string): string {
  if (KEY_DECLARATION.test(file) && !file.startsWith('config/')) return 'config';
  const [top] = file.split('/');
  return top!.replace(/\.ts$/, '');
}

/** Folders every other may import: the error base. */
const BASE = ['errors'];

function allowedFrom(folder: string, seen = new Set<string>(BASE)): Set<string> {
  for (const next of MAY_IMPORT[folder] ?? []) {
    if (seen.has(next)) continue;
    seen.add(next);
    allowedFrom(next, seen);
  }
  return seen;
}

/** Strongly connected components of more than one node (or a node importing itself): the cycles. */
function cycles(nodes: Iterable<string>, next: (node: string) => Iterable<string>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!order.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || [...next(v)].includes(v)) found.push(component.sort());
  };
  for (const v of nodes) if (!order.has(v)) connect(v);
  return found;
}

const crossing = (e: Edge) => folderOf(e.from) !== folderOf(e.to);
const show = (e: Edge) => `${e.from} -> ${e.to}`;

describe('the import graph of src/', () => {
  it('is read from every file (a parse that found nothing would prove nothing)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from === 'server/node.ts' && e.to === 'server/dispatcher.ts')).toBe(true);
    expect(edges.some((e) => e.dynamic)).toBe(true);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
  });

  it('has a rule for every top-level folder', () => {
    const folders = new Set(files.map(folderOf));
    expect([...folders].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });

  it('keeps every folder to what the module map lets it import', () => {
    const broken = edges.filter(crossing).filter((e) => {
      const from = folderOf(e.from);
      if (MAY_IMPORT[from]?.includes('*') || excepted(e)) return false;
      return !allowedFrom(from).has(folderOf(e.to));
    });
    expect(broken.map(show)).toEqual([]);
  });

  it('never lets server/ and client/ import each other', () => {
    const between = edges.filter((e) => {
      const pair = [folderOf(e.from), folderOf(e.to)].sort().join(' ');
      return pair === 'client server';
    });
    expect(between.map(show)).toEqual([]);
  });

  it('never lets a core module import a concrete connector or a plugin', () => {
    const broken = edges.filter((e) => {
      const from = folderOf(e.from);
      if (COMPOSITION_ROOTS.has(from) || KEY_DECLARATION.test(e.to) || excepted(e)) return false;
      if (CONCRETE_TRANSPORT.test(e.to)) return !(CONCRETE_TRANSPORT.test(e.from) || e.from === CONNECTOR_REGISTRY);
      if (folderOf(e.to) === 'plugins') return from !== 'plugins';
      return false;
    });
    expect(broken.map(show)).toEqual([]);
  });

  it('lets a plugin see the daemon only through the interfaces plugins implement (agents, data plugins, fact sources)', () => {
    const interfaces = new Set(['server/agent.ts', 'server/data-plugin.ts', 'server/fact-source.ts']);
    const intoServer = edges.filter((e) => folderOf(e.from) === 'plugins' && folderOf(e.to) === 'server' && !interfaces.has(e.to));
    expect(intoServer.map(show)).toEqual([]);
  });

  it('keeps plugin key declarations data only, collected by config/keys.ts alone', () => {
    const declarations = files.filter((f) => KEY_DECLARATION.test(f) && f !== KEY_COLLECTOR);
    expect(declarations.length).toBeGreaterThan(3);
    const out = edges.filter((e) => declarations.includes(e.from) && e.to !== KEY_SPEC);
    const into = edges.filter((e) => declarations.includes(e.to) && e.from !== KEY_COLLECTOR);
    expect([...out, ...into].map(show)).toEqual([]);
    expect(edges.filter((e) => e.from === KEY_SPEC).map(show)).toEqual([]);
  });

  it('needs every exception it lists', () => {
    expect(EXCEPTIONS.filter((x) => !edges.some((e) => e.from === x.from && e.to === x.to))).toEqual([]);
  });

  it('has no cycle between top-level folders', () => {
    const next = new Map<string, Set<string>>();
    for (const e of edges.filter(crossing)) {
      const set = next.get(folderOf(e.from)) ?? new Set<string>();
      set.add(folderOf(e.to));
      next.set(folderOf(e.from), set);
    }
    expect(cycles(new Set(files.map(folderOf)), (f) => next.get(f) ?? [])).toEqual([]);
  });

  it('has no cycle between files that load each other', () => {
    const next = new Map<string, string[]>();
    for (const e of edges.filter((x) => !x.typeOnly && !x.dynamic)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    expect(cycles(files, (f) => next.get(f) ?? [])).toEqual([]);
  });
});
