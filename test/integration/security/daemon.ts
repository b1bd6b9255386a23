// Starts `mco server run` and waits for it to say it is ready (in its log file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { MCO } from '../../helpers/mco.js';

export async function startDaemon(configFile: string, logFile: string, timeoutMs = 20_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MCO, 'server', 'run', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('node daemon ready')) return child;
    if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`daemon not ready within ${timeoutMs} ms: ${stderr}`);
}

/** SIGTERM, then SIGKILL after 10 s: the devkit's stop, shared with the flood rig. */
export { stopProcess as stopDaemon } from '../../../src/devkit/hostile-rig.js';

/** The daemon's JSON log lines. */
export function logLines(logFile: string): Array<Record<string, unknown>> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
