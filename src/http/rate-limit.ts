import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import type { RateLimitDecision, RateLimiter } from '../ports/rate-limiter.ts';
import type { AppEnv } from './env.ts';
import type { KeyFn } from './rate-limit-keys.ts';
import type { RateLimitRuleConfig } from './rate-limit-rules.ts';

/** How long a client is told to wait when a fail-closed rule cannot reach its store. */
export const STORE_DOWN_RETRY_AFTER_S = 5;

export interface RateLimitOptions {
  rule: RateLimitRuleConfig;
  key: KeyFn;
  limiter: RateLimiter;
  /** Called when the store fails (for logging and metrics); the mode is then applied here. */
  onStoreError(c: Context<AppEnv>, rule: RateLimitRuleConfig, err: unknown): void;
  onRefused?(c: Context<AppEnv>, rule: RateLimitRuleConfig): void;
}

/**
 * Of several rules on one route, the headers show the one closest to refusing: a client
 * watching them learns the budget that will stop it first.
 */
function mostRestrictive(a: RateLimitDecision | undefined, b: RateLimitDecision): RateLimitDecision {
  if (!a) return b;
  if (a.allowed !== b.allowed) return a.allowed ? b : a;
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return a.resetAt >= b.resetAt ? a : b;
}

export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(d.limit),
    'X-RateLimit-Remaining': String(d.remaining),
    'X-RateLimit-Reset': String(Math.ceil(d.resetAt / 1000)),
  };
}

/**
 * Counts the request under one rule. Sets X-RateLimit-* on the response (success or
 * error); over the limit, refuses with 429 `rate_limit:exceeded` and Retry-After. When the
 * store fails, a `closed` rule refuses with 503 `rate_limit:store_unavailable` and an
 * `open` rule lets the request through without headers; the limiter's own timeout means
 * neither waits long.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { rule, key, limiter } = options;
  const budget = { limit: rule.limit, windowMs: rule.windowMs };
  return async (c, next) => {
    const pending = key(c);
    // Most key functions answer synchronously; awaiting only promises saves a tick per request.
    const k = typeof pending === 'string' || pending === null ? pending : await pending;
    if (k === null) return next();
    let decision: RateLimitDecision;
    try {
      decision = await limiter.hit(`${rule.name}:${k}`, budget);
    } catch (err) {
      options.onStoreError(c, rule, err);
      if (rule.failure === 'closed') {
        throw new AppError('rate_limit:store_unavailable', { cause: err, headers: { 'Retry-After': String(STORE_DOWN_RETRY_AFTER_S) } });
      }
      return next();
    }
    const shown = mostRestrictive(c.get('rateLimit'), decision);
    c.set('rateLimit', shown);
    const headers = rateLimitHeaders(shown);
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    if (!decision.allowed) {
      options.onRefused?.(c, rule);
      const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
      throw new AppError('rate_limit:exceeded', { headers: { ...headers, 'Retry-After': retryAfter } });
    }
    await next();
    // A handler that built its own Response skipped the prepared headers; add them late.
    if (!c.res.headers.has('X-RateLimit-Limit')) for (const [name, value] of Object.entries(rateLimitHeaders(c.get('rateLimit') ?? shown))) c.header(name, value);
  };
}
