// The guard that fails a test run leaving troupe-* entries in the temp directory.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guardTempDir, leakReport, leftBehind, troupeEntries } from '../../helpers/temp-guard.js';
import { removeScratchDirs, scratchDir } from '../../helpers/scratch.js';

let parent: string;
afterEach(() => rmSync(parent, { recursive: true, force: true }));

describe('temp guard', () => {
  it('reports the troupe entries a run made and did not remove, and nothing else', () => {
    parent = mkdtempSync(join(tmpdir(), 'guard-test-'));
    const outer = process.env.TMPDIR;
    const guard = guardTempDir(parent);
    expect(process.env.TMPDIR).toBe(guard.dir);
    expect(tmpdir()).toBe(guard.dir);
    mkdirSync(join(guard.dir, 'troupe-client-abc123'));
    writeFileSync(join(guard.dir, 'troupe-bench-sim-1.cfg'), '');
    mkdirSync(join(guard.dir, 'unrelated-dir'));
    const removed = join(guard.dir, 'troupe-pki-removed');
    mkdirSync(removed);
    rmSync(removed, { recursive: true });

    const report = guard.finish();
    expect(report).toBe(`the tests left 2 troupe-* entries in ${guard.dir}: troupe-bench-sim-1.cfg, troupe-client-abc123`);
    expect(process.env.TMPDIR).toBe(outer);
    expect(existsSync(guard.dir)).toBe(false);
  });

  it('passes a run that cleaned up after itself', () => {
    parent = mkdtempSync(join(tmpdir(), 'guard-test-'));
    const guard = guardTempDir(parent);
    const scratch = scratchDir('troupe-client-');
    expect(scratch.dir.startsWith(guard.dir)).toBe(true);
    scratch.cleanup();
    expect(guard.finish()).toBeUndefined();
  });

  it('counts only entries that were not there before, and shortens a long list', () => {
    parent = mkdtempSync(join(tmpdir(), 'guard-test-'));
    expect(leftBehind(['troupe-a'], ['troupe-a', 'troupe-b'])).toEqual(['troupe-b']);
    const many = Array.from({ length: 12 }, (_, i) => `troupe-${String(i).padStart(2, '0')}`);
    expect(leakReport('/t', many)).toBe(`the tests left 12 troupe-* entries in /t: ${many.slice(0, 10).join(', ')}, and 2 more`);
    expect(leakReport('/t', [])).toBeUndefined();
    for (const name of ['troupe-x', 'other']) mkdirSync(join(parent, name));
    expect(troupeEntries(parent)).toEqual(['troupe-x']);
  });

  it('the per-file cleanup removes scratch directories a test forgot', () => {
    parent = mkdtempSync(join(tmpdir(), 'guard-test-'));
    const forgotten = scratchDir('troupe-forgotten-');
    forgotten.file('client.cfg', 'a = 1\n');
    removeScratchDirs();
    expect(existsSync(forgotten.dir)).toBe(false);
  });
});
