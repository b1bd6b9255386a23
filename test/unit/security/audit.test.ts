import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/security/audit/audit-log.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = { identity: 'web1', requestid: 'r1', request_time: 1_700_000_000_000, caller: 'cert=ops.troupe', sender: 'ws', agent: 'puppet', action: 'runonce', collective: 'mcollective', data: { tags: 'ntp', password: 's3cret' }, decision: 'allowed' as const, statuscode: 0, statusmsg: 'OK' };

describe('AuditLog', () => {
  it('writes one JSON line per request with input values redacted', () => {
    const file = join(dir, 'a', 'audit.log');
    const log = new AuditLog({ file });
    log.record(entry);
    log.record({ identity: 'web1', decision: 'rejected', reason: 'bad_signature' });
    log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ type: 'audit', identity: 'web1', requestid: 'r1', caller: 'cert=ops.troupe', agent: 'puppet', action: 'runonce', decision: 'allowed', statuscode: 0, request_time: '2023-11-14T22:13:20.000Z', input: { tags: '[redacted]', password: '[redacted]' } });
    expect(Date.parse(lines[0].time)).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ decision: 'rejected', reason: 'bad_signature' });
    expect(readFileSync(file, 'utf8')).not.toContain('s3cret');
  });

  it('shows values when configured to', () => {
    const file = join(dir, 'values.log');
    const log = new AuditLog({ file, logValues: true });
    log.record(entry);
    log.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).input).toEqual({ tags: 'ntp', password: 's3cret' });
  });
});
