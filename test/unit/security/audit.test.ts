import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, redactValues } from '../../../src/security/audit/audit-log.js';
import { parseAs, type AuditLine } from '../../helpers/json.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = {
  identity: 'web1',
  requestid: 'r1',
  request_time: 1_700_000_000_000,
  caller: 'cert=ops.troupe',
  sender: 'ws',
  agent: 'puppet',
  action: 'runonce',
  collective: 'mcollective',
  data: { tags: 'ntp', password: 's3cret' },
  decision: 'allowed' as const,
  statuscode: 0,
  statusmsg: 'OK',
};

describe('AuditLog', () => {
  it('writes one JSON line per request with input values redacted', () => {
    const file = join(dir, 'a', 'audit.log');
    const log = new AuditLog({ file });
    log.record(entry);
    log.record({ identity: 'web1', decision: 'rejected', reason: 'bad_signature' });
    log.close();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseAs<AuditLine>(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      type: 'audit',
      identity: 'web1',
      requestid: 'r1',
      caller: 'cert=ops.troupe',
      agent: 'puppet',
      action: 'runonce',
      decision: 'allowed',
      statuscode: 0,
      request_time: '2023-11-14T22:13:20.000Z',
      input: { tags: '[redacted]', password: '[redacted]' },
    });
    expect(Date.parse(lines[0]!.time)).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ decision: 'rejected', reason: 'bad_signature' });
    expect(readFileSync(file, 'utf8')).not.toContain('s3cret');
  });

  it('shows values when configured to', () => {
    const file = join(dir, 'values.log');
    const log = new AuditLog({ file, logValues: true });
    log.record(entry);
    log.close();
    expect(parseAs<AuditLine>(readFileSync(file, 'utf8')).input).toEqual({ tags: 'ntp', password: 's3cret' });
  });

  it('redacts input values quoted in the status message', () => {
    const file = join(dir, 'statusmsg.log');
    const log = new AuditLog({ file });
    log.record({
      ...entry,
      data: { revision: 'hunter2', server: 'ntp' },
      statuscode: 4,
      statusmsg: "Invalid revision 'hunter2' for server ntp",
    });
    log.close();
    const text = readFileSync(file, 'utf8');
    expect(parseAs<AuditLine>(text).statusmsg).toBe("Invalid revision '[redacted]' for server [redacted]");
    expect(text).not.toContain('hunter2');
  });

  it('keeps the status message as it is when values are shown', () => {
    const file = join(dir, 'statusmsg-values.log');
    const log = new AuditLog({ file, logValues: true });
    log.record({ ...entry, statuscode: 4, statusmsg: "Invalid password 's3cret'" });
    log.close();
    expect(parseAs<AuditLine>(readFileSync(file, 'utf8')).statusmsg).toBe("Invalid password 's3cret'");
  });
});

describe('redactValues', () => {
  it('hides nested values, numbers, and values overlapping one another, leaving no part showing', () => {
    expect(
      redactValues('port 8140 of db.example.net with token abcdef', {
        port: 8140,
        opts: { hosts: ['db.example.net'], auth: [{ token: 'abcdef' }] },
      }),
    ).toBe('port [redacted] of [redacted] with token [redacted]');
    // "cdefgh" overlaps "abcdef": one marker covers both, and the marker itself is not redacted by "red".
    expect(redactValues('got abcdefgh', { a: 'abcdef', b: 'cdefgh', c: 'red' })).toBe('got [redacted]');
    expect(redactValues('all fine', { flag: true, none: null, empty: '' })).toBe('all fine');
  });

  it('walks data nested deeper than the call stack without failing', () => {
    let deep: unknown = 'hunter2';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(redactValues("bad 'hunter2'", { deep })).toBe("bad '[redacted]'");
  });
});
