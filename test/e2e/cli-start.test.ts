// What `mco` loads to start: a command loads the modules it runs and nothing else. The CA (node-forge), the web
// console (fastify), AMQP, the logger, YAML and ajv's compiler cost a start-up 20–60 ms each and are not needed to
// print the version or to ping; the schema validators come compiled from the build.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, entriesFor } from '../../src/cli/commands.js';
import { precompiledValidator, schemaRegistry } from '../../src/protocol/schemas.js';
import { MCO, scratchDir } from '../helpers/mco.js';

const scratch = scratchDir('troupe-cli-start-');
afterAll(() => scratch.cleanup());

// Records every package a process loads, ESM imports (a resolve hook) and CommonJS requires alike, on stderr.
const hook = scratch.file(
  'hook.mjs',
  `export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n`,
);
const preload = scratch.file(
  'trace.mjs',
  [
    "import { register, createRequire } from 'node:module';",
    `register(${JSON.stringify(pathToFileURL(hook).href)});`,
    "const Module = createRequire(import.meta.url)('node:module');",
    'const load = Module._load;',
    "Module._load = function (request, parent, ...rest) { const r = load.call(this, request, parent, ...rest); try { process.stderr.write('LOADED ' + Module._resolveFilename(request, parent) + '\\n'); } catch {} return r; };",
  ].join('\n'),
);

/** The npm packages (and ajv files) `mco ARGS` loads. */
function packagesLoaded(args: string[]): Promise<{ code: number | null; stdout: string; packages: Set<string>; files: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, MCO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const files = [...stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1]!);
      const packages = new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => !!p));
      resolve({ code, stdout, packages, files });
    });
  });
}

const HEAVY = ['node-forge', 'fastify', 'amqplib', 'pino', 'yaml', 'cli-progress', 'prom-client', 'ajv-formats'];

describe('mco start-up', () => {
  it('prints its version loading commander and nothing else', async () => {
    const r = await packagesLoaded(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect([...r.packages]).toEqual(['commander']);
  });

  it('declares ping without the CA, the web console, AMQP, the logger, YAML or the schema compiler', async () => {
    const r = await packagesLoaded(['ping', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: mco ping');
    for (const pkg of HEAVY) expect(r.packages, pkg).not.toContain(pkg);
    // ajv's compiler is not loaded; its runtime helpers (used by the compiled validators) may be.
    expect(r.files.filter((f) => f.includes('node_modules/ajv/') && !f.includes('/ajv/dist/runtime/'))).toEqual([]);
  });

  it('lists every command in its help', async () => {
    const r = await packagesLoaded(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMANDS.flatMap((e) => e.names)) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });
});

describe('the command table', () => {
  const names = (args: string[]) => entriesFor(args).flatMap((e) => e.names);

  it('loads the module of the command given, wherever its options are', () => {
    expect(names(['ping', '-t', '2'])).toContain('ping');
    expect(names(['ping'])).not.toContain('server');
    expect(names(['--debug', 'ca', 'list'])).toEqual(['ca', 'enroll']);
    expect(names(['plan', 'run', 'x.yaml'])).toEqual(['plan']);
  });

  it('loads nothing for a bare --version, everything for help and for an unknown command', () => {
    expect(entriesFor(['--version'])).toEqual([]);
    expect(entriesFor([])).toBe(COMMANDS);
    expect(entriesFor(['--help'])).toBe(COMMANDS);
    expect(entriesFor(['--version', '--help'])).toBe(COMMANDS);
    expect(entriesFor(['help', 'ping'])).toBe(COMMANDS);
    expect(entriesFor(['pnig'])).toBe(COMMANDS);
  });

  it('names each command once', () => {
    const all = COMMANDS.flatMap((e) => e.names);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('schemas compiled by the build', () => {
  it('are not used from the sources, where ajv compiles them', () => {
    expect(precompiledValidator('troupe:request')).toBeUndefined();
  });

  it('judge as the runtime compiler does', async () => {
    const compiled = (await import(pathToFileURL(MCO.replace(/bin\/mco\.js$/, 'dist/src/protocol/schemas.compiled.cjs')).href)) as {
      default: Record<string, (v: unknown) => boolean>;
    };
    const samples: Array<[string, unknown]> = [
      ['troupe:transport', { protocol: 'troupe:transport:1', payload: 'x' }],
      ['troupe:transport', { protocol: 'troupe:transport:1' }],
      ['troupe:filter', { fact: [], cf_class: [], agent: [], identity: [], compound: [] }],
      ['troupe:filter', { fact: 'no' }],
      ['troupe:registration', {}],
    ];
    for (const [id, value] of samples) {
      const runtime = schemaRegistry().getSchema(id)!;
      const ahead = compiled.default[id.replace(/[^A-Za-z0-9_]/g, '_')];
      expect(ahead, id).toBeTypeOf('function');
      expect(ahead!(value), `${id} ${JSON.stringify(value)}`).toBe(runtime(value));
    }
  });
});
