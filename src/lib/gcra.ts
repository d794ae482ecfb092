import type { RateLimitDecision, RateLimitRule } from '../ports/rate-limiter.ts';

/**
 * The GCRA step, shared by the embedded adapter and the tests (the Redis adapter runs the
 * same arithmetic in Lua). All times are integer microseconds: exact in a double, and one
 * emission interval rounds the same way everywhere.
 *
 * `tat` is the stored "theoretical arrival time" (null when absent). Returns the decision
 * and the TAT to store (null: leave the key unchanged, as a refused hit must).
 */
export function gcraStep(
  tat: number | null,
  nowUs: number,
  rule: RateLimitRule,
  cost: number,
): { decision: RateLimitDecision; newTat: number | null } {
  const { interval, tolerance } = gcraParams(rule);
  const base = tat === null || tat < nowUs ? nowUs : tat;
  const newTat = base + interval * cost;
  const allowAt = newTat - tolerance;
  if (allowAt > nowUs) {
    return {
      decision: {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        resetAt: Math.ceil(base / 1000),
        // A cost above the limit never passes; "after a full window" is the honest hint.
        retryAfterMs: cost > rule.limit ? rule.windowMs : Math.max(1, Math.ceil((allowAt - nowUs) / 1000)),
      },
      newTat: null,
    };
  }
  return {
    decision: {
      allowed: true,
      limit: rule.limit,
      remaining: Math.floor((nowUs - allowAt) / interval),
      resetAt: Math.ceil(newTat / 1000),
      retryAfterMs: 0,
    },
    newTat,
  };
}

/** Emission interval and burst tolerance in µs; the tolerance is exactly `limit` intervals. */
export function gcraParams(rule: RateLimitRule): { interval: number; tolerance: number } {
  const interval = Math.max(1, Math.round((rule.windowMs * 1000) / rule.limit));
  return { interval, tolerance: interval * rule.limit };
}
