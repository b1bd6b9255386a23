// The facter fact source against a fake `facter`: a shell script whose behaviour a file in its directory chooses.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { FacterSource, FactsError, factSourceFromConfig, runFacter, type Facts } from '../../../src/plugins/facts/index.js';
import { scratchDir } from '../../helpers/scratch.js';
import { waitFor } from '../../helpers/wait.js';

const scratch = scratchDir('troupe-facter-');
const dir = scratch.dir;
const FACTS = { os: { family: 'Debian', release: { major: '12' } }, networking: { fqdn: 'web1.example.net' }, processors: { count: 2 } };

/**
 * Modes (the file `mode`): ok prints facts.json; partial prints it and exits 1 with a coloured Facter error line;
 * fail exits 3 with a message; badjson and list print no mapping; hang starts a grandchild and sleeps in it;
 * slow waits for the file `go`. Every run appends to `runs`, and to `overlap` when another run is under way.
 */
const FAKE = scratch.file(
  'facter',
  `#!/bin/sh
d=$(dirname "$0")
echo run >> "$d/runs"
[ -e "$d/running" ] && echo overlap >> "$d/overlap"
touch "$d/running"
trap 'rm -f "$d/running"' EXIT
case $(cat "$d/mode") in
  ok) cat "$d/facts.json" ;;
  partial) cat "$d/facts.json"; printf '[2026-12-02 07:15:48.27 ] ERROR Facter::InternalFactManager - \\033[31mPermission denied\\033[0m\\n' >&2; exit 1 ;;
  fail) echo "facter: cannot load facts" >&2; exit 3 ;;
  badjson) echo '{"os": ' ;;
  list) echo '["os"]' ;;
  hang) sleep 30 & echo $! > "$d/grandchild"; wait ;;
  slow) while [ ! -e "$d/go" ]; do sleep 0.02; done; rm -f "$d/go"; cat "$d/facts.json" ;;
esac
`,
);
chmodSync(FAKE, 0o755);

function mode(m: string, facts: Facts = FACTS): void {
  writeFileSync(join(dir, 'mode'), m);
  writeFileSync(join(dir, 'facts.json'), JSON.stringify(facts));
}
const runs = () => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).length : 0);

interface Logged {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}
function fakeLogger() {
  const lines: Logged[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
}

const sources: Array<{ stop(): void }> = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.stop();
  for (const f of ['running', 'go', 'grandchild']) rmSync(join(dir, f), { force: true });
  for (const f of ['runs', 'overlap']) writeFileSync(join(dir, f), '');
});
afterAll(() => scratch.cleanup());

async function failure(p: Promise<unknown>): Promise<FactsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FactsError);
  return err as FactsError;
}

describe('runFacter', () => {
  it('parses the JSON mapping Facter prints, structured facts intact', async () => {
    mode('ok');
    const out = await runFacter([FAKE, '-p', '--json'], { timeoutMs: 10_000 });
    expect(out.facts).toEqual(FACTS);
    expect(out.warning).toBeUndefined();
  });

  it('keeps the facts of a run that exits 1 over one failed fact, with its error line as a warning', async () => {
    mode('partial');
    const out = await runFacter([FAKE], { timeoutMs: 10_000 });
    expect(out.facts).toEqual(FACTS);
    expect(out.warning).toBe('exited with 1: ERROR Facter::InternalFactManager - Permission denied');
  });

  it('fails clearly on a missing binary, an error exit without facts, bad JSON and a list', async () => {
    const missing = await failure(runFacter([join(dir, 'no-such-facter'), '--json'], { timeoutMs: 10_000 }));
    expect(missing.code).toBe('FACTS_FACTER_MISSING');
    expect(missing.message).toContain('cannot start: ENOENT');
    mode('fail');
    const failed = await failure(runFacter([FAKE], { timeoutMs: 10_000 }));
    expect(failed.code).toBe('FACTS_FACTER_FAILED');
    expect(failed.message).toBe(`${FAKE}: exited with 3: facter: cannot load facts`);
    mode('badjson');
    expect((await failure(runFacter([FAKE], { timeoutMs: 10_000 }))).code).toBe('FACTS_FACTER_OUTPUT');
    mode('list');
    expect((await failure(runFacter([FAKE], { timeoutMs: 10_000 }))).message).toContain('not a mapping of facts');
    expect((await failure(runFacter([], { timeoutMs: 10_000 }))).code).toBe('FACTS_FACTER_MISSING');
  });

  it('kills a run that overstays its timeout, and what it started with it', async () => {
    mode('hang');
    const err = await failure(runFacter([FAKE], { timeoutMs: 300 }));
    expect(err.code).toBe('FACTS_FACTER_TIMEOUT');
    const grandchild = Number(readFileSync(join(dir, 'grandchild'), 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    await waitFor('the grandchild to be killed', () => !alive(grandchild), 5_000, 20);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function source(intervalMs = 0, seed?: Facts) {
  const { lines, logger } = fakeLogger();
  const seen: Facts[] = [];
  const s = new FacterSource({ command: [FAKE], intervalMs, timeoutMs: 5_000, logger, seed, onFacts: (f) => seen.push(f) });
  sources.push(s);
  return { s, lines, seen };
}

describe('FacterSource', () => {
  it('keeps the last good facts through failures, logging the failure once and the recovery once', async () => {
    mode('ok');
    const { s, lines, seen } = source();
    s.start();
    await s.settled();
    expect(s.current).toEqual(FACTS);
    for (const m of ['fail', 'badjson', 'fail']) {
      mode(m);
      s.refresh();
      await s.settled();
      expect(s.current).toEqual(FACTS);
    }
    expect(seen).toHaveLength(1);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe('facter failed; keeping the last facts it gave');
    expect(errors[0]!.obj.code).toBe('FACTS_FACTER_FAILED');
    const changed = { ...FACTS, role: 'web' };
    mode('ok', changed);
    s.refresh();
    await s.settled();
    expect(s.current).toEqual(changed);
    expect(lines.filter((l) => l.msg === 'facter works again')).toHaveLength(1);
    // A new failure streak is logged again, once.
    mode('fail');
    s.refresh();
    await s.settled();
    s.refresh();
    await s.settled();
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });

  it('says when it has no facts yet, and warns once about a run that exits 1 but prints facts', async () => {
    mode('fail');
    const { s, lines } = source();
    s.start();
    await s.settled();
    expect(s.current).toBeUndefined();
    expect(lines.find((l) => l.level === 'error')?.msg).toBe('facter failed; no Facter facts yet');
    mode('partial');
    for (let i = 0; i < 3; i++) {
      s.refresh();
      await s.settled();
    }
    expect(s.current).toEqual(FACTS);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['facter reported errors; using the facts it printed']);
  });

  it('never runs two at once: a refresh during a run makes one more run after it', async () => {
    mode('slow');
    const { s, seen } = source();
    s.start();
    await waitFor('the first run to start', () => runs() === 1, 5_000, 10);
    s.refresh();
    s.refresh();
    writeFileSync(join(dir, 'go'), '');
    await waitFor('the second run to start', () => runs() === 2, 5_000, 10);
    writeFileSync(join(dir, 'go'), '');
    await s.settled();
    expect(runs()).toBe(2);
    expect(seen).toHaveLength(2);
    expect(readFileSync(join(dir, 'overlap'), 'utf8')).toBe('');
  });

  it('runs again on its interval, counted from the end of the last run', async () => {
    mode('ok');
    const { s, seen } = source(20);
    s.start();
    await waitFor('three runs', () => seen.length >= 3, 10_000, 10);
    expect(readFileSync(join(dir, 'overlap'), 'utf8')).toBe('');
  });

  it('a listener that throws is logged, and the next run still happens', async () => {
    mode('ok');
    const { lines, logger } = fakeLogger();
    let calls = 0;
    const s = new FacterSource({
      command: [FAKE],
      intervalMs: 0,
      timeoutMs: 5_000,
      logger,
      onFacts: () => {
        calls++;
        throw new Error('listener broke');
      },
    });
    sources.push(s);
    s.start();
    await s.settled();
    s.refresh();
    await s.settled();
    expect(calls).toBe(2);
    expect(lines.filter((l) => l.msg === 'new Facter facts could not be applied')).toHaveLength(2);
    expect(s.current).toEqual(FACTS);
  });

  it('stop() kills a run under way and reports nothing for it', async () => {
    mode('slow');
    const { s, lines, seen } = source();
    s.start();
    await waitFor('the run to start', () => runs() === 1, 5_000, 10);
    s.stop();
    await s.settled();
    expect(seen).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('factsource = facter, yaml', () => {
  const files = scratch.file('facts.yaml', 'role: web\nos:\n  family: FromFile\n');
  const classes = scratch.file('classes.txt', 'base\n');
  const config = (sources: string) =>
    parseConfig(
      [
        `factsource = ${sources}`,
        `plugin.yaml = ${files}`,
        `classesfile = ${classes}`,
        `plugin.facts.facter_command = ${FAKE} -p --json`,
        'plugin.facts.facter_interval = 0',
        'fact_reload_interval = 0',
      ].join('\n'),
    );

  function merged(sources: string, seed?: Facts) {
    const { logger } = fakeLogger();
    const s = factSourceFromConfig(config(sources), { logger, facterSeed: seed });
    const first = s.load();
    const states: Array<ReturnType<typeof s.load>> = [];
    s.watch(
      (state) => states.push(state),
      () => undefined,
    );
    return { s, first, states, close: () => s.close() };
  }

  it('merges Facter under the files: files win key by key, Facter fills in the rest, classes from the classes file', async () => {
    mode('ok');
    const { s, first, states, close } = merged('facter, yaml');
    expect(first.facts).toEqual({ role: 'web', os: { family: 'FromFile' } });
    await s.settled();
    close();
    expect(states.at(-1)).toEqual({
      facts: { ...FACTS, role: 'web', os: { family: 'FromFile', release: { major: '12' } } },
      classes: ['base'],
    });
  });

  it('in the other order Facter wins; a seed answers at once; yaml alone never runs Facter', async () => {
    mode('ok');
    const { s, states, close } = merged('yaml, facter');
    await s.settled();
    close();
    expect((states.at(-1)!.facts.os as Facts).family).toBe('Debian');
    const seeded = merged('facter, yaml', { kernel: 'Linux' });
    seeded.close();
    expect(seeded.first.facts).toEqual({ kernel: 'Linux', role: 'web', os: { family: 'FromFile' } });
    const before = runs();
    const plain = merged('yaml');
    await plain.s.settled();
    plain.close();
    expect(runs()).toBe(before);
    expect(plain.s.lastFacterFacts).toBeUndefined();
  });

  it('refuses an unknown source name in the config, naming the key', () => {
    expect(() => config('facter, factr')).toThrow(/factsource/);
  });
});
