// `npm run demo`: without --keep it stops everything and its last line says so; with --keep the fleet runs on, the
// commands it prints work as printed, and its stop script stops every process and removes every file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runMco } from '../helpers/mco.js';

const DEMO = join(ROOT, 'dist', 'scripts', 'demo.js');

function demo(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo', () => {
  it('without --keep, ends saying that it stopped the fleet; with --keep, leaves it running with what to type', async () => {
    const [plain, kept] = await Promise.all([demo([]), demo(['--keep'])]);

    expect(plain.code).toBe(0);
    const last = plain.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^The demo has stopped its fleet and removed its files\. .*npm run demo -- --keep$/);
    expect(plain.stdout).not.toMatch(/works against this fleet while it runs/);

    expect(kept.code).toBe(0);
    const config = /^ {2}export TROUPE_CONFIG=(\S+)$/m.exec(kept.stdout)?.[1];
    const stop = /^Stop it and remove its files: sh (\S+)$/m.exec(kept.stdout)?.[1];
    const pids = (/\(pids ([\d ]+)\)/.exec(kept.stdout)?.[1] ?? '').split(' ').map(Number);
    expect(config && existsSync(config), kept.stdout).toBe(true);
    expect(pids).toHaveLength(3);
    try {
      expect(kept.stdout).toMatch(/^ {2}npx mco ping$/m);
      const ping = await runMco(['ping', '-t', '5'], { env: { TROUPE_CONFIG: config! } });
      expect(ping.code, ping.stderr).toBe(0);
      expect(ping.stdout).toMatch(/12 replies/);
    } finally {
      const r = spawnSync('sh', [stop!], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(config!)).toBe(false);
  }, 120_000);
});
