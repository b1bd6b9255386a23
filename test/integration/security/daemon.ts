// A real `mco server run` for the security tests: started and stopped by the devkit's helpers, shared with the
// flood rig (ready once its log file says so; SIGTERM, then SIGKILL after 10 s).
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { startDaemonProcess } from '../../../src/devkit/hostile-rig.js';

export { stopProcess as stopDaemon } from '../../../src/devkit/hostile-rig.js';

export function startDaemon(configFile: string, logFile: string, timeoutMs = 20_000): Promise<ChildProcess> {
  return startDaemonProcess(configFile, logFile, [], timeoutMs);
}

/** The daemon's JSON log lines. */
export function logLines(logFile: string): Array<Record<string, unknown>> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
