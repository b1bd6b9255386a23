import { describe, expect, it } from 'vitest';
import { distribution, shortNumber, sparkline } from '../../../src/client/apps/puppet/sparkline.js';
import { summaryStatistics } from '../../../src/client/apps/puppet/summary.js';
import { countStatuses } from '../../../src/client/apps/puppet/status.js';
import { judgeSummary } from '../../../src/client/apps/puppet/runonce.js';
import { renderSummary, timestamp } from '../../../src/client/render/puppet.js';

describe('sparklines', () => {
  it('spread values over 20 buckets from min to max', () => {
    const d = distribution([0, 0, 0, 10, 20]);
    expect(d).toMatchObject({ count: 5, min: 0, max: 20, avg: 6 });
    expect(d.histogram).toHaveLength(20);
    expect(d.histogram[0]).toBe(3);
    expect(d.histogram[10]).toBe(1);
    expect(d.histogram[19]).toBe(1);
    expect(sparkline(d.histogram)).toBe('▇' + ' '.repeat(9) + '▃' + ' '.repeat(8) + '▃');
  });

  it('put identical values in the first bucket and handle no data', () => {
    expect(distribution([4, 4]).histogram[0]).toBe(2);
    expect(distribution([])).toMatchObject({ count: 0, min: 0, max: 0 });
    expect(sparkline(new Array(20).fill(0))).toBe(' '.repeat(20));
  });

  it('shorten large numbers', () => {
    expect([shortNumber(950), shortNumber(1234), shortNumber(3_400_000), shortNumber(0.125)]).toEqual(['950', '1.2k', '3.4m', '0.13']);
  });

  it('leave out nodes that have no figure yet (the DDL defaults of -1 and "Unknown")', () => {
    const stats = summaryStatistics([
      { total_resources: 10, failed_resources: 0, config_retrieval_time: -1, since_lastrun: 'Unknown' },
      { total_resources: 20, failed_resources: 2, config_retrieval_time: 1.5, since_lastrun: 30 },
    ]);
    expect(stats.total_resources).toMatchObject({ count: 2, min: 10, max: 20, avg: 15 });
    expect(stats.config_retrieval_time!.count).toBe(1);
    expect(stats.since_lastrun!.count).toBe(1);
    const text = renderSummary(2, stats);
    expect(text.split('\n')[0]).toBe('Summary statistics for 2 nodes:');
    expect(text).toMatch(/^ {18}Total resources: ▇ {18}▇ {2}min: 10 {6}avg: 15 {6}max: 20$/m);
    expect(text).toContain('Time since last run (seconds):');
  });
});

describe('count', () => {
  it('tallies enabled, applying, daemons and idling, and failures apart', () => {
    const c = countStatuses([
      { statuscode: 0, data: { enabled: true, applying: true, daemon_present: true, idling: false } },
      { statuscode: 0, data: { enabled: false, applying: false, daemon_present: true, idling: true } },
      { statuscode: 0, data: { enabled: true, applying: false, daemon_present: false, idling: false, lastrun: 5, last_run_failed: true } },
      { statuscode: 0, data: { enabled: true, applying: false, daemon_present: false, idling: false, status: 'splaying' } },
      { statuscode: 1, data: {} },
    ]);
    expect(c).toEqual({
      total: 4,
      enabled: 3,
      disabled: 1,
      applying: 1,
      splaying: 1,
      stopped: 2,
      daemons: 2,
      noDaemons: 2,
      idling: 1,
      lastRunFailed: 1,
      neverRun: 3,
      failed: 1,
    });
  });
});

describe('judging a waited-for run', () => {
  it('fails on failed resources, a run without a catalog, or the wrong revision', () => {
    expect(judgeSummary({ failed_resources: 0, config_version: 'abc' }, 'abc')).toEqual({
      ok: true,
      message: 'Applied config version abc',
    });
    expect(judgeSummary({ failed_resources: 2, config_version: 'abc' })).toEqual({ ok: false, message: '2 resource(s) failed' });
    expect(judgeSummary({ failed_resources: 0, config_version: '' }).ok).toBe(false);
    expect(
      judgeSummary({ failed_resources: 0, config_version: '', last_run_error: 'Could not retrieve catalog from remote server: boom' }),
    ).toEqual({
      ok: false,
      message: 'The run did not apply a catalog: Could not retrieve catalog from remote server: boom',
    });
    expect(judgeSummary({ failed_resources: 1, config_version: 'abc', last_run_error: '1 resource(s) failed: x' }).message).toBe(
      '1 resource(s) failed: x',
    );
    expect(judgeSummary({ failed_resources: 0, config_version: 'abc', last_run_failed: true }).ok).toBe(false);
    expect(judgeSummary({ failed_resources: 0, config_version: 'old' }, 'new')).toEqual({
      ok: false,
      message: 'Applied config version old, not new',
    });
  });

  it('says a no-op run applied nothing, and how many resources it would have changed', () => {
    expect(judgeSummary({ failed_resources: 0, out_of_sync_resources: 3, config_version: 'abc' }, 'abc', true)).toEqual({
      ok: true,
      message: 'noop: would change 3 resources (config version abc); nothing applied',
    });
    expect(judgeSummary({ failed_resources: 0, out_of_sync_resources: 1, config_version: 'abc' }, undefined, true).message).toBe(
      'noop: would change 1 resource (config version abc); nothing applied',
    );
    expect(judgeSummary({ failed_resources: 0, out_of_sync_resources: 0, config_version: 'old' }, 'new', true)).toEqual({
      ok: false,
      message: 'Previewed config version old, not new',
    });
  });

  it('logs with the anchors timestamp', () => {
    expect(timestamp(new Date(2024, 0, 2, 3, 4, 5))).toBe('2024-01-02 03:04:05');
  });
});
