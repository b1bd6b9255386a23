import { describe, expect, it } from 'vitest';
import { ResultSet, type Reply } from '../../../src/client/results.js';
import { statsOf } from '../../../src/client/request.js';

const reply = (sender: string, statuscode = 0): Reply => ({
  sender,
  statuscode,
  statusmsg: statuscode ? 'failed' : 'OK',
  data: {},
  time: 0,
  elapsedMs: 1,
});

describe('ResultSet', () => {
  it('keys replies by sender: a duplicate is counted, not stored twice', () => {
    const rs = new ResultSet('id', ['a', 'b']);
    expect(rs.add(reply('a'))).toBe(true);
    expect(rs.add(reply('a', 1))).toBe(false);
    expect(rs.size).toBe(1);
    expect(rs.duplicates).toBe(1);
    expect(rs.all()[0]!.statuscode).toBe(0);
  });

  it('lists discovered nodes that never answered, sorted', () => {
    const rs = new ResultSet('id', ['c', 'a', 'b']);
    rs.add(reply('b'));
    expect(rs.noResponse()).toEqual(['a', 'c']);
    expect(rs.expectedAnswered()).toBe(1);
  });

  it('lists replies from nodes nobody discovered as unexpected, without counting them as expected', () => {
    const rs = new ResultSet('id', ['a']);
    rs.add(reply('z'));
    rs.add(reply('a'));
    rs.add(reply('m'));
    expect(rs.unexpected()).toEqual(['m', 'z']);
    expect(rs.expectedAnswered()).toBe(1);
    expect(rs.noResponse()).toEqual([]);
  });

  it('without a discovered list (ping), nothing is missing or unexpected', () => {
    const rs = new ResultSet('id');
    rs.add(reply('a'));
    expect(rs.noResponse()).toEqual([]);
    expect(rs.unexpected()).toEqual([]);
    expect(rs.discovered).toBeUndefined();
    expect(rs.expectedAnswered()).toBe(1);
  });

  it('splits ok from failed by status code', () => {
    const rs = new ResultSet('id', ['a', 'b', 'c']);
    rs.add(reply('a'));
    rs.add(reply('b', 4));
    rs.add(reply('c', 5));
    expect(rs.ok().map((r) => r.sender)).toEqual(['a']);
    expect(rs.failed().map((r) => r.sender)).toEqual(['b', 'c']);
  });

  it('keeps a count and the last reason of replies that failed to decode', () => {
    const rs = new ResultSet('id');
    rs.invalid('reply does not match its hash');
    rs.invalid('reply for another request');
    expect(rs.invalidReplies).toBe(2);
    expect(rs.lastInvalid).toBe('reply for another request');
  });
});

describe('statsOf', () => {
  it('counts pass/fail, missing and unexpected; total time = discovery + agent time', () => {
    const rs = new ResultSet('abc', ['a', 'b', 'c']);
    rs.startedAt = 10_000;
    rs.finishedAt = 10_250;
    rs.add(reply('a'));
    rs.add(reply('b', 2));
    rs.add(reply('x'));
    const s = statsOf(rs, 500, 3);
    expect(s).toMatchObject({
      requestId: 'abc',
      discovered: 3,
      responses: 3,
      ok: 2,
      failed: 1,
      agentMs: 250,
      discoveryMs: 500,
      totalMs: 750,
      noResponse: ['c'],
      unexpected: ['x'],
    });
    expect(s.startTime.getTime()).toBe(9_500);
  });
});
