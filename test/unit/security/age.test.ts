// The one age rule of every security provider: min(request ttl, max_ttl) after its time, clock_skew ahead.
import { describe, expect, it } from 'vitest';
import { checkRequestAge, effectiveTtlMs } from '../../../src/security/age.js';
import { SecurityError } from '../../../src/security/provider.js';
import { InsecureProvider } from '../../../src/security/providers/insecure.js';
import { PROTOCOL } from '../../../src/protocol/index.js';
import { craftRequest } from '../../helpers/requests.js';
import { thrown } from '../../helpers/errors.js';

const now = 1_700_000_000_000;
const rule = { maxTtlMs: 300_000, clockSkewMs: 10_000 };
const errorOf = (fn: () => unknown): SecurityError => thrown(SecurityError, fn);

describe('checkRequestAge', () => {
  it('accepts a fresh request and the exact edges of the window, and says until when', () => {
    expect(checkRequestAge({ time: now, ttl: 60 }, rule, now)).toBe(now + 60_000);
    expect(() => checkRequestAge({ time: now - 60_000, ttl: 60 }, rule, now)).not.toThrow();
    expect(() => checkRequestAge({ time: now + 10_000, ttl: 60 }, rule, now)).not.toThrow();
  });

  it('refuses a request older than its ttl as ttl_expired', () => {
    const e = errorOf(() => checkRequestAge({ time: now - 60_001, ttl: 60 }, rule, now));
    expect(e.code).toBe('ttl_expired');
    expect(e.message).toContain('ttl 60s');
  });

  it('caps the ttl a client asks for by max_ttl', () => {
    expect(effectiveTtlMs({ ttl: 86_400 }, rule)).toBe(300_000);
    expect(checkRequestAge({ time: now, ttl: 86_400 }, rule, now)).toBe(now + 300_000);
    const e = errorOf(() => checkRequestAge({ time: now - 23 * 3_600_000, ttl: 86_400 }, rule, now));
    expect(e.code).toBe('ttl_expired');
    expect(e.message).toContain("capped by this node's max_ttl");
  });

  it('refuses a request dated further ahead than the clock skew as future_message, whatever its ttl', () => {
    const e = errorOf(() => checkRequestAge({ time: now + 10_001, ttl: 3600 }, rule, now));
    expect(e.code).toBe('future_message');
    expect(e.message).toContain('allowed skew 10s');
  });

  it('holds unsigned requests to the same rule', () => {
    const insecure = new InsecureProvider('user=test', rule, () => now);
    const req = (over: object) => craftRequest('user=x', { id: 'a'.repeat(32), sender: 's', ttl: 86_400, time: now, ...over });
    const secure = { protocol: PROTOCOL.secureRequest, request: '' };
    expect(insecure.verifyRequest(secure, req({}))).toEqual({ caller: 'user=x' });
    expect(errorOf(() => insecure.verifyRequest(secure, req({ time: now - 301_000 }))).code).toBe('ttl_expired');
    expect(errorOf(() => insecure.verifyRequest(secure, req({ time: now + 60_000 }))).code).toBe('future_message');
  });
});
