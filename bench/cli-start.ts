// How long `mco` takes to start, against a bare Node.js process that loads nats.js: `mco --version` (start-up
// alone) and `mco ping` answered by 10 simulated nodes on a private nats-server, each the median of N runs of the
// whole process, spawn to exit.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNatsServer } from '../src/devkit/nats-server.js';
import { packageRoot } from '../src/protocol/package-root.js';
import { MCO, runMco, startSimProcess, stopProcess, type SimProcess } from './lib/processes.js';

export interface CliStartReport {
  /** Median wall time of `node bin/mco.js --version`. */
  versionMs: number;
  /** Median wall time of a bare `node` loading nats.js (no connection). */
  bareNatsImportMs: number;
  /** Median wall time of `mco ping --expect 10` against 10 simulated nodes. */
  pingMs: number;
  /** Median wall time of a bare `node` that connects to the same broker with nats.js and closes. */
  bareNatsConnectMs: number;
  pingReplies: number;
  runs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

/** Spawn to exit of `node -e CODE`, from the package root so `nats` resolves. */
function nodeEval(code: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: packageRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (status) =>
      status === 0 ? resolve(performance.now() - started) : reject(new Error(`node -e failed (${status}): ${err}`)),
    );
  });
}

export async function cliStart(runs: number): Promise<CliStartReport> {
  const version: number[] = [];
  const bareImport: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runMco(['--version']);
    if (r.code !== 0) throw new Error(`${MCO} --version failed (${r.code}): ${r.stderr.trim()}`);
    version.push(r.wallMs);
    bareImport.push(await nodeEval("await import('nats');"));
  }

  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-cli-'));
  const server = await new LocalNatsServer().start();
  let sim: SimProcess | undefined;
  try {
    const config = join(dir, 'client.cfg');
    writeFileSync(config, `middleware_hosts = ${server.url}\nsecurityprovider = insecure\nregisterinterval = 0\n`);
    sim = await startSimProcess(['--nodes', '10', '-c', config], 10, 1024);
    const ping: number[] = [];
    const bareConnect: number[] = [];
    let replies = 0;
    const connect = `const { connect } = await import('nats'); const nc = await connect({ servers: '${server.url}' }); await nc.flush(); await nc.close();`;
    for (let i = 0; i < runs; i++) {
      const r = await runMco(['ping', '-c', config, '--expect', '10', '-t', '10']);
      if (r.code !== 0) throw new Error(`mco ping failed (${r.code}): ${r.stderr.trim()}`);
      replies = r.stdout.split('\n').filter((l) => l.includes('time=')).length;
      ping.push(r.wallMs);
      bareConnect.push(await nodeEval(connect));
    }
    return {
      versionMs: median(version),
      bareNatsImportMs: median(bareImport),
      pingMs: median(ping),
      bareNatsConnectMs: median(bareConnect),
      pingReplies: replies,
      runs,
    };
  } finally {
    if (sim) await stopProcess(sim.child);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
