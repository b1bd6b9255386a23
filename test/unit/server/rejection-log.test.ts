import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RejectionLog } from '../../../src/server/rejection-log.js';
import type { LogLine } from '../../helpers/json.js';

function capture() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as LogLine) };
}

describe('RejectionLog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the first rejections of a reason one by one, then one summary per interval', () => {
    const { logger, lines } = capture();
    const log = new RejectionLog(logger, { burst: 3, intervalMs: 1000 });
    for (let i = 0; i < 1000; i++) log.warn('malformed', `garbage ${i}`);
    expect(lines().map((l) => l.msg)).toEqual([
      'rejected request: garbage 0',
      'rejected request: garbage 1',
      'rejected request: garbage 2',
    ]);
    vi.advanceTimersByTime(1000);
    const summary = lines()[3]!;
    expect(summary).toMatchObject({
      level: 40,
      reason: 'malformed',
      suppressed: 997,
      interval_s: 1,
      msg: 'suppressed 997 rejections of reason malformed in the last 1 s',
    });
    expect(lines()).toHaveLength(4);
  });

  it('limits each reason on its own, and a new interval logs again', () => {
    const { logger, lines } = capture();
    const log = new RejectionLog(logger, { burst: 2, intervalMs: 1000 });
    for (let i = 0; i < 5; i++) log.warn('malformed', 'm');
    log.warn('unauthorized', 'denied', 'req1');
    vi.advanceTimersByTime(1000);
    log.warn('malformed', 'again');
    const got = lines().map((l) => [l.reason, l.suppressed ?? null, l.requestid ?? null]);
    expect(got).toEqual([
      ['malformed', null, null],
      ['malformed', null, null],
      ['unauthorized', null, 'req1'],
      ['malformed', 3, null],
      ['malformed', null, null],
    ]);
  });

  it('writes no summary when nothing was suppressed, and holds no timer while quiet', () => {
    const { logger, lines } = capture();
    const log = new RejectionLog(logger, { burst: 5, intervalMs: 1000 });
    log.warn('bad_filter', 'x');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0);
    expect(lines()).toHaveLength(1);
  });

  it('flush() writes the pending summary at once, with the time actually covered', () => {
    const { logger, lines } = capture();
    const log = new RejectionLog(logger, { burst: 1, intervalMs: 1000 });
    log.warn('schema', 'a');
    log.warn('schema', 'b');
    vi.advanceTimersByTime(400);
    log.flush();
    expect(lines()[1]).toMatchObject({ reason: 'schema', suppressed: 1, interval_s: 0.4 });
    expect(vi.getTimerCount()).toBe(0);
    log.flush();
    expect(lines()).toHaveLength(2);
  });
});
