// The library as npm ships it: `npm pack`, unpacked into a separate consumer package, imported from there against a
// private nats-server and a simulated fleet, and type-checked with tsc against the declarations the tarball carries.
// No network: the consumer's dependencies are links to this checkout's node_modules, one for each dependency the
// packed package.json declares, so a dependency missing from it fails the import.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { ROOT, clientConfigFor, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const FLEET = 5;

let work: ReturnType<typeof scratchDir>;
let consumer: string;
let broker: LocalNatsServer | undefined;
let sim: RunningSim | undefined;
let config: string;
let tarball: string;
let tsc: { code: number; stdout: string; stderr: string };

/** Runs a command, resolving with its exit code and output whatever the code. */
async function attempt(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    outDir: 'out',
    // As most consumers have it; the shipped declarations are still what every use below is checked against.
    skipLibCheck: true,
  },
};

// A program as a user writes it: connect, discover, stream a call's replies, read its result set, use a typed agent.
const USAGE = `
import { connect, filter, RequestError, type RpcResult } from 'troupe';
import rpcutil from './rpcutil.js';

const t = await connect({ config: process.argv[2] });
try {
  const found = await t.discover({ filter: filter({}) });
  const call = t.rpc('rpcutil', 'ping', {}, { onProgress: (p) => progress.push(p.stage + ':' + p.received) });
  const progress: string[] = [];
  const streamed: string[] = [];
  for await (const reply of call) streamed.push(reply.sender);
  const result: RpcResult = await call.result();
  const typed = await t.agent(rpcutil).get_fact({ fact: 'role' }, { limit: 2 }).result();
  const role: string | undefined = typed.replies[0]?.data.fact;
  let refused = '';
  try {
    await t.rpc('rpcutil', 'get_fact', {}).result();
  } catch (err) {
    if (err instanceof RequestError) refused = err.code;
  }
  console.log(JSON.stringify({
    discovered: found.nodes,
    method: found.method,
    streamed: streamed.sort(),
    stats: result.stats,
    noResponse: result.noResponse,
    exitCode: result.exitCode,
    pong: typeof result.replies[0]?.data.pong,
    progress: progress.length,
    typed: typed.replies.length,
    role,
    refused,
  }));
} finally {
  await t.close();
}
`;

const TYPED_OK = `
import { connect } from 'troupe';
import { puppet } from './puppet.js';

export async function deploy(): Promise<number> {
  const t = await connect();
  const p = t.agent(puppet);
  const run = await p.runonce({ noop: true, tags: 'nginx', splaylimit: 30 }, { batch: '10%' }).result();
  await p.status().result();
  await p.last_run_summary({}).result();
  await p.resource({ type: 'file', name: '/tmp/x' }).result();
  const initiated: number | undefined = run.replies[0]?.data.initiated_at;
  await t.close();
  return initiated ?? 0;
}
`;

// Each line is one mistake tsc must report on that line.
const TYPED_BAD_LINES = [
  `t.agent(puppet).runonce({ noop: 'yes' });`,
  `t.agent(puppet).runnonce({});`,
  `t.agent(puppet).resource({ type: 'file' });`,
  `t.agent(puppet).runonce({ noop: true, nop: true });`,
];
const TYPED_BAD_HEADER = `import { connect } from 'troupe';\nimport { puppet } from './puppet.js';\nconst t = await connect();\n`;

beforeAll(async () => {
  work = scratchDir('troupe-pack-');
  try {
    // Packed from the build every test runs on; the prepack build is skipped, it would only repeat it.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work.dir], { cwd: ROOT });
    tarball = join(work.dir, packed.stdout.trim().split('\n').at(-1)!);
    consumer = join(work.dir, 'consumer');
    const modules = join(consumer, 'node_modules');
    mkdirSync(modules, { recursive: true });
    await run('tar', ['xzf', tarball, '-C', modules]);
    renameSync(join(modules, 'package'), join(modules, 'troupe'));
    const manifest = JSON.parse(readFileSync(join(modules, 'troupe', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dep of [...Object.keys(manifest.dependencies), '@types/node']) {
      mkdirSync(dirname(join(modules, dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(modules, dep), 'dir');
    }
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { troupe: `file:${tarball}` } }),
    );
    // The typed clients come from the shipped `mco`.
    const mco = join(modules, 'troupe', 'bin', 'mco.js');
    await run(process.execPath, [mco, 'plugin', 'generate', 'client', 'puppet', '--out', join(consumer, 'puppet.ts')]);
    await run(process.execPath, [mco, 'plugin', 'generate', 'client', 'rpcutil', '--out', join(consumer, 'rpcutil.ts')]);
    writeFileSync(join(consumer, 'usage.ts'), USAGE);
    writeFileSync(join(consumer, 'typed-ok.ts'), TYPED_OK);
    writeFileSync(join(consumer, 'typed-bad.ts'), TYPED_BAD_HEADER + TYPED_BAD_LINES.join('\n') + '\n');
    // One tsc run for all of it (it is the slow part): errors are expected in typed-bad.ts only, and the rest is emitted.
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ ...TSCONFIG, files: ['usage.ts', 'typed-ok.ts', 'typed-bad.ts', 'puppet.ts', 'rpcutil.ts'] }),
    );
    // Pretty output, as an editor or a terminal shows it: it carries the declaration each error points at.
    const checked = await attempt(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'true'], consumer);
    tsc = { ...checked, stdout: checked.stdout.replace(/\x1b\[[0-9;]*m/g, '') };

    broker = await startNatsServer();
    sim = await startSim(['--nodes', String(FLEET), '--server', broker.url]);
    config = clientConfigFor(broker.url, { discovery_quiet_window: 0.2 });
  } catch (err) {
    await sim?.stop();
    await broker?.stop();
    work.cleanup();
    throw err;
  }
}, 240_000);

afterAll(async () => {
  await sim?.stop();
  await broker?.stop();
  work?.cleanup();
  // clientConfigFor's directory holds only the config file.
  if (config) rmSync(dirname(config), { recursive: true, force: true });
});

/** `file:line:column - error TSnnnn: message`, one per error tsc reported. */
const errorLines = () => tsc.stdout.split('\n').filter((l) => /^\S+\.ts:\d+:\d+ - error TS\d+/.test(l));

describe('the packed tarball', () => {
  it('ships declarations, the DDLs and the schemas, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/src/index.js');
    expect(files).toContain('package/dist/src/index.d.ts');
    expect(files).toContain('package/dist/src/plugins/agents/puppet/puppet.ddl.json');
    expect(files).toContain('package/schemas/ddl.schema.json');
    expect(files.filter((f) => /^package\/(src|test)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('type-checks a consumer program with tsc against the shipped declarations, and the program runs against a fleet', async () => {
    const elsewhere = errorLines().filter((l) => !l.startsWith('typed-bad.ts:'));
    expect(elsewhere).toEqual([]);
    expect(tsc.stderr).toBe('');
    const program = await attempt(process.execPath, [join('out', 'usage.js'), config], consumer);
    expect(program.stderr).toBe('');
    const out = JSON.parse(program.stdout) as Record<string, unknown>;
    expect(out.discovered).toHaveLength(FLEET);
    expect(out.method).toBe('mc');
    expect(out.streamed).toEqual(out.discovered);
    expect(out.stats).toMatchObject({ discovered: FLEET, responses: FLEET, ok: FLEET, failed: 0, noResponse: [] });
    expect(out.exitCode).toBe(0);
    expect(out.pong).toBe('number');
    expect(out.progress).toBe(FLEET + 1);
    expect(out.typed).toBe(2);
    expect(out.refused).toBe('missing_inputs');
  }, 60_000);
});

describe('a typed client generated from a DDL', () => {
  it('refuses at compile time a wrong input type, an unknown action, a missing required input and an unknown input', () => {
    expect(tsc.code).not.toBe(0);
    const errors = errorLines().filter((l) => l.startsWith('typed-bad.ts:'));
    const first = TYPED_BAD_HEADER.split('\n').length;
    const onLine = (i: number) => errors.filter((e) => e.startsWith(`typed-bad.ts:${first + i}:`)).join('\n');
    expect(onLine(0)).toMatch(/TS2322: Type 'string' is not assignable to type 'boolean( \| undefined)?'/);
    // Below the error, tsc names the input and shows its declaration.
    expect(tsc.stdout).toMatch(/The expected type comes from property 'noop' which is declared here on type 'PuppetRunonceInput'/);
    expect(onLine(1)).toMatch(/Property 'runnonce' does not exist/);
    expect(onLine(2)).toMatch(/TS2345: .* parameter of type 'PuppetResourceInput'/);
    expect(tsc.stdout).toMatch(/Property 'name' is missing in type '\{ type: string; \}' but required in type 'PuppetResourceInput'/);
    expect(onLine(3)).toMatch(/'nop' does not exist in type 'PuppetRunonceInput'/);
    expect(errors).toHaveLength(TYPED_BAD_LINES.length);
  });
});
