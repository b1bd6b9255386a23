// The one rule for a request's age, applied by every security provider. A client chooses its request's TTL, but a
// node never honours more than its own cap: the effective TTL is min(request ttl, max_ttl). A request is acceptable
// from `time - clock_skew` until `time + effective TTL`; its id is remembered against replays exactly that long.
import type { RequestEnvelope } from '../protocol/index.js';
import { SecurityError } from './provider.js';

export interface AgeRule {
  /** The longest TTL this node honours, in ms (plugin.security.max_ttl). */
  maxTtlMs: number;
  /** How far in the future a request may be dated, in ms (plugin.security.clock_skew). */
  clockSkewMs: number;
}

export const DEFAULT_AGE_RULE: AgeRule = { maxTtlMs: 300_000, clockSkewMs: 10_000 };

/** The TTL this node grants a request, in ms. */
export function effectiveTtlMs(request: Pick<RequestEnvelope, 'ttl'>, rule: AgeRule): number {
  return Math.min(request.ttl * 1000, rule.maxTtlMs);
}

/**
 * Throws SecurityError `ttl_expired` or `future_message` unless `request` is within its effective TTL at `now`;
 * returns when the request stops being acceptable (ms since the epoch).
 */
export function checkRequestAge(request: Pick<RequestEnvelope, 'time' | 'ttl'>, rule: AgeRule, now: number): number {
  const ttlMs = effectiveTtlMs(request, rule);
  const age = now - request.time;
  if (age > ttlMs) {
    const capped = ttlMs < request.ttl * 1000 ? ` of the requested ${request.ttl}s, capped by this node's max_ttl` : '';
    throw new SecurityError('ttl_expired', `request expired ${Math.round(age / 1000)}s after creation (ttl ${ttlMs / 1000}s${capped})`);
  }
  if (-age > rule.clockSkewMs) {
    throw new SecurityError(
      'future_message',
      `request is dated ${Math.round(-age / 1000)}s in the future (allowed skew ${rule.clockSkewMs / 1000}s)`,
    );
  }
  return request.time + ttlMs;
}
