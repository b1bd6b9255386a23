// The replay record: ids kept exactly within their TTL, bounded in total and per caller, a start floor without a
// journal, the journal read back after a restart, and a raised max_ttl that cannot revive forgotten ids.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecurityError } from '../../../src/security/provider.js';
import { codeOf as errorCode } from '../../helpers/errors.js';
import { ReplayCache } from '../../../src/security/trust/replay-cache.js';
import { ReplayJournal } from '../../../src/security/trust/replay-journal.js';

const codeOf = (fn: () => unknown) => errorCode(SecurityError, fn);
const T0 = 1_700_000_000_000;
const id = (i: number | string) => String(i).padStart(32, '0');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const journalPath = () => {
  const d = mkdtempSync(join(tmpdir(), 'troupe-replay-'));
  dirs.push(d);
  return join(d, 'replay.log');
};

describe('ReplayCache', () => {
  it('refuses an id until its expiry, then forgets it', () => {
    const cache = new ReplayCache({ now: T0 });
    cache.remember(id(1), 'cert=a', T0 + 1000, T0);
    expect(codeOf(() => cache.check(id(1), T0, T0 + 1000))).toBe('replay');
    expect(codeOf(() => cache.remember(id(1), 'cert=a', T0 + 1000, T0 + 10))).toBe('replay');
    expect(codeOf(() => cache.check(id(1), T0, T0 + 1001))).toBe('accepted');
    expect(cache.size).toBe(0);
  });

  it('checking records nothing: only remember() takes room', () => {
    const cache = new ReplayCache({ maxEntries: 100, now: T0 });
    for (let i = 0; i < 1000; i++) cache.check(id(i), T0, T0);
    expect(cache.size).toBe(0);
  });

  it('gives each caller a share: one caller at its quota is refused, others still run', () => {
    const cache = new ReplayCache({ maxEntries: 100, maxPerCaller: 10, now: T0 });
    for (let i = 0; i < 10; i++) cache.remember(id(`m${i}`), 'cert=mallory', T0 + 60_000, T0);
    expect(codeOf(() => cache.remember(id('m10'), 'cert=mallory', T0 + 60_000, T0))).toBe('replay_quota');
    expect(codeOf(() => cache.remember(id('ops'), 'cert=ops', T0 + 60_000, T0))).toBe('accepted');
    // Once its ids expire the caller has room again.
    expect(codeOf(() => cache.remember(id('m11'), 'cert=mallory', T0 + 120_000, T0 + 60_001))).toBe('accepted');
  });

  it('a full cache refuses rather than forgets, and the default quota is a tenth of it', () => {
    const cache = new ReplayCache({ maxEntries: 100, now: T0 });
    for (let c = 0; c < 10; c++) for (let i = 0; i < 10; i++) cache.remember(id(`${c}-${i}`), `cert=c${c}`, T0 + 60_000, T0);
    expect(codeOf(() => cache.remember(id('c0-10'), 'cert=c0', T0 + 60_000, T0))).toBe('replay_quota');
    expect(codeOf(() => cache.remember(id('new'), 'cert=new', T0 + 60_000, T0))).toBe('replay_cache_full');
    expect(cache.size).toBe(100);
  });

  it('expires ids in order of expiry whatever the order they were recorded in', () => {
    const cache = new ReplayCache({ now: T0 });
    const untils = [50, 10, 40, 20, 30, 5, 60];
    for (const [i, u] of untils.entries()) cache.remember(id(i), 'cert=a', T0 + u * 1000, T0);
    for (const u of [...untils].sort((a, b) => a - b)) {
      cache.check(id('probe'), T0, T0 + u * 1000 + 1);
      expect(cache.size).toBe(untils.filter((x) => x > u).length);
    }
  });

  it('without a journal, refuses requests dated before it began', () => {
    const cache = new ReplayCache({ now: T0 });
    expect(cache.since).toBe(T0);
    expect(codeOf(() => cache.check(id(1), T0 - 1, T0 + 5))).toBe('before_start');
    expect(codeOf(() => cache.check(id(1), T0, T0 + 5))).toBe('accepted');
  });

  it('after max_ttl is raised, a request sent under the old cap is held to it', () => {
    const cache = new ReplayCache({ maxTtlMs: 60_000, now: T0 });
    cache.remember(id(1), 'cert=a', T0 + 60_000, T0);
    cache.configure({ maxEntries: 100_000, maxTtlMs: 300_000 }, T0 + 30_000);
    // At T0+61s the id is forgotten, but the request is older than the 60 s it was kept for.
    expect(codeOf(() => cache.check(id(1), T0, T0 + 61_000))).toBe('ttl_expired');
    // Requests made after the change get the new cap.
    expect(codeOf(() => cache.check(id(2), T0 + 31_000, T0 + 200_000))).toBe('accepted');
  });
});

describe('ReplayJournal', () => {
  it('a restarted cache still refuses the ids that ran, and no start floor is needed', () => {
    const path = journalPath();
    const first = new ReplayCache({ journal: ReplayJournal.open(path), now: T0 });
    expect(first.since).toBe(T0); // a new file knows nothing of what ran before it
    first.remember(id(1), 'cert=a', T0 + 60_000, T0);
    first.remember(id(2), 'cert=a', T0 + 1_000, T0);
    first.close();

    const second = new ReplayCache({ journal: ReplayJournal.open(path), now: T0 + 5_000 });
    expect(second.since).toBe(0);
    expect(codeOf(() => second.check(id(1), T0, T0 + 5_000))).toBe('replay');
    expect(codeOf(() => second.check(id(2), T0, T0 + 5_000))).toBe('accepted');
    expect(second.size).toBe(1);
    second.close();
  });

  it('the record is on disk before remember() returns', () => {
    const path = journalPath();
    const cache = new ReplayCache({ journal: ReplayJournal.open(path), now: T0 });
    cache.remember(id(7), 'cert=a', T0 + 60_000, T0);
    expect(readFileSync(path, 'utf8')).toContain(id(7));
    cache.close();
  });

  it('compacts to the live ids', () => {
    const path = journalPath();
    const cache = new ReplayCache({ journal: ReplayJournal.open(path), now: T0 });
    for (let i = 0; i < 5000; i++) cache.remember(id(i), 'cert=a', T0 + 1000 + i, T0 + i);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
    // 5000 ids written, about 1000 still live: the file holds at most twice the live ones (and a header).
    expect(cache.size).toBeLessThan(1100);
    expect(lines).toBeLessThanOrEqual(2 * cache.size + 2);
    cache.close();
    const again = new ReplayCache({ journal: ReplayJournal.open(path), now: T0 + 4999 });
    expect(again.size).toBe(cache.size);
    again.close();
  });

  it('a torn last line is dropped; damage inside the file means ids may be missing, so the start floor applies', () => {
    const torn = journalPath();
    writeFileSync(torn, JSON.stringify({ id: id(1), until: T0 + 60_000, caller: 'cert=a' }) + '\n{"id":"0000');
    const j = ReplayJournal.open(torn);
    expect(j.continuous).toBe(true);
    const cache = new ReplayCache({ journal: j, now: T0 });
    expect(codeOf(() => cache.check(id(1), T0, T0))).toBe('replay');
    cache.close();

    const damaged = journalPath();
    writeFileSync(damaged, 'garbage\n');
    appendFileSync(damaged, JSON.stringify({ id: id(1), until: T0 + 60_000, caller: 'cert=a' }) + '\n');
    const d = ReplayJournal.open(damaged);
    expect(d.continuous).toBe(false);
    const floor = new ReplayCache({ journal: d, now: T0 });
    expect(floor.since).toBe(T0);
    expect(codeOf(() => floor.check(id(1), T0, T0))).toBe('replay');
    floor.close();
  });

  it('remembers the cap ids were kept under, so raising max_ttl across a restart cannot revive them', () => {
    const path = journalPath();
    const first = new ReplayCache({ journal: ReplayJournal.open(path), maxTtlMs: 60_000, now: T0 });
    first.remember(id(1), 'cert=a', T0 + 60_000, T0);
    first.close();
    const second = new ReplayCache({ journal: ReplayJournal.open(path), maxTtlMs: 300_000, now: T0 + 10_000 });
    expect(codeOf(() => second.check(id(1), T0, T0 + 61_000))).toBe('ttl_expired');
    second.close();
  });

  it('a file that cannot be written is a configuration error', () => {
    expect(codeOf(() => ReplayJournal.open('/proc/troupe-no-such-dir/replay.log'))).toBe('not_configured');
  });
});
