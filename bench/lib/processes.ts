// Child processes the benchmark drives: simulated fleets and `mco` clients, with their memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/protocol/index.js';

export const MCO = join(packageRoot(), 'bin', 'mco.js');

/** Resident memory of a live process in MB, from /proc. */
export function rssMB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every simulator process started and not yet exited, ready or not: what a failed fleet start leaves behind. */
const liveSims = new Set<ChildProcess>();

export interface SimProcess {
  child: ChildProcess;
  nodes: number;
  readyMs: number;
}

/**
 * Starts one `mco sim` process with its open-file limit raised; resolves when all its nodes are connected.
 * Its young generation is large enough to hold the garbage of one broadcast answered by thousands of nodes, so
 * that garbage dies young instead of being promoted and marked again in a heap that holds every node's connection.
 */
export function startSimProcess(args: string[], nodes: number, maxOpenFiles: number): Promise<SimProcess> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const node = `exec "$0" --max-old-space-size=8192 --max-semi-space-size=64 "$@"`;
    const child = spawn('sh', ['-c', `ulimit -n ${maxOpenFiles} 2>/dev/null; ${node}`, process.execPath, MCO, 'sim', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveSims.add(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('sim ready')) resolve({ child, nodes, readyMs: performance.now() - started });
    });
    child.once('exit', (code) => {
      liveSims.delete(child);
      reject(new Error(`sim exited (${code}) before it was ready: ${err}`));
    });
  });
}

export function liveSimCount(): number {
  return liveSims.size;
}

/** Stops every simulator process still running, including those that never got ready. */
export async function stopAllSims(): Promise<void> {
  await Promise.all([...liveSims].map((c) => stopProcess(c)));
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
}

export interface McoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  maxRssMB: number;
}

/** Runs `mco` to completion, timing it from spawn to exit and reading its peak RSS. */
export function runMco(args: string[], env: Record<string, string> = {}): Promise<McoRun> {
  return runNode(MCO, args, env);
}

export function runNode(script: string, args: string[], env: Record<string, string> = {}): Promise<McoRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, NO_COLOR: '1', TROUPE_REPORT_MAXRSS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const m = /troupe-maxrss-kb=(\d+)/.exec(stderr);
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr,
        wallMs: performance.now() - started,
        maxRssMB: m ? Number(m[1]) / 1024 : Number.NaN,
      });
    });
  });
}
