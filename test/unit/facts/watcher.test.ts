import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FactWatcher, FactsError, type Facts } from '../../../src/plugins/facts/index.js';

const INTERVAL_MS = 20;

let dir: string;
let watcher: FactWatcher | undefined;
let changes: Array<{ facts: Facts; classes: string[] }>;
let errors: Error[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-factwatch-'));
  changes = [];
  errors = [];
});
afterEach(() => {
  vi.useRealTimers();
  watcher?.stop();
  watcher = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function watch(paths: string[], classesFile?: string, intervalMs = INTERVAL_MS): FactWatcher {
  watcher = new FactWatcher(
    paths,
    classesFile,
    intervalMs,
    (facts, classes) => changes.push({ facts, classes }),
    (error) => errors.push(error),
  );
  return watcher;
}

/** Resolves once the watcher has polled `n` more times: each of those polls sees every write made before this call. */
async function polls(n: number): Promise<void> {
  const check = vi.spyOn(watcher!, 'check');
  await expect.poll(() => check.mock.calls.length, { timeout: 2000 }).toBeGreaterThanOrEqual(n);
  check.mockRestore();
}

describe('FactWatcher', () => {
  it('reads at once on start and reports the first snapshot', () => {
    const facts = write('facts.yaml', 'country: de\n');
    const classes = write('classes.txt', 'apache\nntp\n');
    watch([facts], classes).start();
    expect(changes).toEqual([{ facts: { country: 'de' }, classes: ['apache', 'ntp'] }]);
    expect(watcher!.current).toEqual({ facts: { country: 'de' }, classes: ['apache', 'ntp'] });
  });

  it('picks up a changed fact file on a later poll', async () => {
    const facts = write('facts.yaml', 'country: de\n');
    watch([facts]).start();
    write('facts.yaml', 'country: nl\nsite: ams\n');
    await expect.poll(() => changes.length, { timeout: 2000 }).toBe(2);
    expect(changes[1]!.facts).toEqual({ country: 'nl', site: 'ams' });
  });

  it('picks up a classes file that appears after start', async () => {
    const facts = write('facts.json', '{"a": 1}');
    const classesFile = path.join(dir, 'classes.txt');
    watch([facts], classesFile).start();
    expect(changes[0]!.classes).toEqual([]);
    write('classes.txt', 'profile::web\n');
    await expect.poll(() => changes.at(-1)?.classes, { timeout: 2000 }).toEqual(['profile::web']);
  });

  it('keeps the last good facts while a file is broken and reports the error once', async () => {
    const facts = write('facts.yaml', 'country: de\n');
    watch([facts]).start();
    write('facts.yaml', 'country: [broken\n');
    await expect.poll(() => errors.length, { timeout: 2000 }).toBe(1);
    await polls(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(FactsError);
    expect((errors[0] as FactsError).file).toBe(facts);
    expect(watcher!.current.facts).toEqual({ country: 'de' });
    expect(changes).toHaveLength(1);

    write('facts.yaml', 'country: fr\n');
    await expect.poll(() => changes.length, { timeout: 2000 }).toBe(2);
    expect(changes[1]!.facts).toEqual({ country: 'fr' });
  });

  it('reports a new error for each further change that is still broken', async () => {
    const facts = write('facts.json', '{"a": 1}');
    watch([facts]).start();
    write('facts.json', '{"a": ');
    await expect.poll(() => errors.length, { timeout: 2000 }).toBe(1);
    write('facts.json', '{"a": 1,,}');
    await expect.poll(() => errors.length, { timeout: 2000 }).toBe(2);
  });

  it('stays quiet when a file is rewritten with the same facts', async () => {
    const facts = write('facts.yaml', 'country: de\n');
    watch([facts]).start();
    write('facts.yaml', '# rewritten\ncountry: de\n');
    await polls(2);
    expect(changes).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('stops polling after stop()', () => {
    const facts = write('facts.yaml', 'country: de\n');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    watch([facts]).start();
    expect(vi.getTimerCount()).toBe(1);
    watcher!.stop();
    expect(vi.getTimerCount()).toBe(0);
    write('facts.yaml', 'country: nl\n');
    vi.advanceTimersByTime(INTERVAL_MS * 5);
    expect(changes).toHaveLength(1);
  });

  it('reads once and never polls with a zero interval', () => {
    const facts = write('facts.yaml', 'country: de\n');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    watch([facts], undefined, 0).start();
    expect(vi.getTimerCount()).toBe(0);
    write('facts.yaml', 'country: nl\n');
    vi.advanceTimersByTime(INTERVAL_MS * 5);
    expect(changes).toEqual([{ facts: { country: 'de' }, classes: [] }]);
  });

  it('reload() returns fresh facts without calling listeners, and start() then stays quiet', () => {
    const facts = write('facts.yaml', 'country: de\n');
    const w = watch([facts]);
    expect(w.reload()).toEqual({ facts: { country: 'de' }, classes: [] });
    w.start();
    expect(changes).toEqual([]);
  });

  it('reload() throws for a broken file and keeps the last good snapshot', () => {
    const facts = write('facts.yaml', 'country: de\n');
    const w = watch([facts]);
    w.reload();
    write('facts.yaml', '- not\n- a mapping\n');
    expect(() => w.reload()).toThrow(FactsError);
    expect(w.current.facts).toEqual({ country: 'de' });
  });

  it('routes an exception thrown by the change listener to the error listener', () => {
    const facts = write('facts.yaml', 'country: de\n');
    watcher = new FactWatcher(
      [facts],
      undefined,
      INTERVAL_MS,
      () => {
        throw new Error('listener failed');
      },
      (error) => errors.push(error),
    );
    expect(() => watcher!.start()).not.toThrow();
    expect(errors.map((e) => e.message)).toEqual(['listener failed']);
  });
});
