/**
 * Rate limiting by GCRA (the generic cell rate algorithm, a token bucket held as one
 * timestamp per key). A rule "limit per window" admits a burst of `limit` hits and then
 * one hit every `window / limit`; a key that stays idle for a whole window has its full
 * budget back. One stored value per key, so one atomic step per hit.
 *
 * Concurrency rules every adapter guarantees, across connections and processes sharing a
 * store:
 * - `hit` is atomic per key: the read of the key's state, the decision and the write
 *   happen as one step (Redis: one Lua script; SQLite: one conditional upsert). N
 *   concurrent hits on a fresh key with limit L admit exactly min(N, L); never more.
 * - A refused hit changes nothing: hammering a limited key does not extend its lockout.
 * - Time is the store's clock where the store has one (Redis `TIME`), so processes with
 *   skewed clocks still share one budget; the embedded store uses the process clock.
 * - `hit` never hangs: it settles within the adapter's timeout, and rejects when the store
 *   is unreachable or closed. Callers decide whether that fails open or closed.
 *
 * Keys are opaque strings; adapters may prefix them.
 */
export interface RateLimiter {
  readonly backend: 'sqlite' | 'redis';

  /** Counts `cost` (default 1) hits against `key` under `rule`, unless that would exceed it. */
  hit(key: string, rule: RateLimitRule, cost?: number): Promise<RateLimitDecision>;
  /** Forgets a key (its full budget is back), e.g. after a successful login. */
  reset(key: string): Promise<void>;
  /** Throws when the store does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitRule {
  /** Hits admitted in a burst, and per window on average. At least 1. */
  limit: number;
  /** At least 1 ms. */
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Hits that would still be admitted right now (0 when refused). */
  remaining: number;
  /** Epoch ms when the key has its full budget back. */
  resetAt: number;
  /** Ms until the next hit can be admitted; 0 when this one was. */
  retryAfterMs: number;
}
