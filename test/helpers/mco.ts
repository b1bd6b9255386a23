// Run the built `mco` binary as a user would, and the simulated fleets it talks to.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { scratchDir } from './scratch.js';

export { scratchDir, type Scratch } from './scratch.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MCO = join(ROOT, 'bin', 'mco.js');

export interface McoResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runMco(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; input?: string; cwd?: string } = {},
): Promise<McoResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MCO, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mco ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A client config pointing at `url`, with a short quiet window so tests stay quick. */
export function clientConfigFor(url: string, extra: Record<string, string | number> = {}): string {
  const scratch = scratchDir('troupe-client-');
  // Tests that are not about security opt in to the unsigned provider explicitly, as an operator would for a lab.
  const lines = { middleware_hosts: url, discovery_timeout: 2, securityprovider: 'insecure', ...extra };
  return scratch.config('client.cfg', lines);
}

/** A config with `securityprovider = insecure` and no action policies, for sims and daemons in tests that are not about security. */
export function insecureConfig(): string {
  return scratchDir('troupe-insecure-').file('insecure.cfg', 'securityprovider = insecure\nplugin.actionpolicy.allow_unconfigured = 1\n');
}

export interface RunningSim {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `mco sim` and resolves once every virtual node is connected. */
export function startSim(args: string[], timeoutMs = 60_000): Promise<RunningSim> {
  return new Promise((resolvePromise, reject) => {
    // A sim given only --server runs unsigned, like clientConfigFor's clients; one given a config uses that.
    const withConfig = args.includes('-c') || args.includes('--config') ? args : [...args, '-c', insecureConfig()];
    const child = spawn(process.execPath, [MCO, 'sim', ...withConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sim did not become ready: ${out} ${err}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('sim ready')) {
        clearTimeout(timer);
        resolvePromise({
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sim exited (${code}) before it was ready: ${err}`));
    });
  });
}
