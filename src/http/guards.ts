import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config/index.ts';
import { parseCidrList } from '../lib/ip.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRegistry } from '../lib/metrics.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';
import type { TurnstileVerifier } from '../ports/turnstile.ts';
import { clientIp, clientIpStep, type ClientIpStep } from './client-ip.ts';
import type { AppEnv } from './env.ts';
import { requestLog } from './request-id.ts';
import { rateLimit } from './rate-limit.ts';
import { createKeyFunctions, keyFor, type KeyFn, type KeyFunctions } from './rate-limit-keys.ts';
import { describeRules, resolveRules, type RateLimitRuleConfig, type RuleName } from './rate-limit-rules.ts';
import { turnstile } from './turnstile.ts';

/**
 * The request guards, built once by the composition root. Module routes attach them in
 * one line each, e.g. for login:
 *
 *   router.use('/v1/auth/login', ...guards.enabled('login:ip', 'login:identifier', 'turnstile'));
 *
 * Rate limits before Turnstile: a refused request must not cost a siteverify call.
 */
export interface Guards {
  /** Sets `c.var.clientIp`, as a middleware. */
  clientIp(): MiddlewareHandler<AppEnv>;
  /** The same as a plain step: create-app runs it inside the request context on every request. */
  clientIpStep(): ClientIpStep;
  /** Counts the request under a rule, by the rule's default key or `key`. */
  rateLimit(rule: RuleName, key?: KeyFn): MiddlewareHandler<AppEnv>;
  /** Requires a valid Turnstile token when TURNSTILE_SECRET is set. */
  turnstile(): MiddlewareHandler<AppEnv>;
  /**
   * The guards a route mounts, with the switched-off ones left out, e.g.
   * `app.use('/v1/auth/login', ...guards.enabled('login:ip', 'login:identifier', 'turnstile'))`:
   * a disabled limit or an unset Turnstile costs the route nothing, not a pass-through layer each.
   */
  enabled(...names: Array<RuleName | 'turnstile'>): MiddlewareHandler<AppEnv>[];
  /** Key functions for `rateLimit`'s second argument. */
  readonly keys: KeyFunctions;
  /** The effective rules (null: switched off). */
  readonly rules: Readonly<Record<RuleName, RateLimitRuleConfig | null>>;
}

export interface GuardDeps {
  config: Config;
  limiter: RateLimiter;
  /** Absent when TURNSTILE_SECRET is not set. */
  verifier?: TurnstileVerifier | undefined;
  logger: Logger;
  metrics: MetricsRegistry;
}

// While a store is down every request fails the same way; one warning per rule per
// interval (with the count it stands for) says as much without flooding the log.
const STORE_WARN_INTERVAL_MS = 10_000;

const pass: MiddlewareHandler<AppEnv> = (_c, next) => next();

export function createGuards(deps: GuardDeps): Guards {
  const { config, limiter, logger, metrics } = deps;
  const rules = resolveRules(config);
  const keys = createKeyFunctions({ ipv6Prefix: config.RATE_LIMIT_IPV6_PREFIX });
  const trustedProxies = parseCidrList(config.TRUSTED_PROXIES);
  const storeErrors = metrics.counter('basalt_rate_limit_store_errors_total', 'Rate-limit checks the store could not answer, by rule and failure mode.');
  const refused = metrics.counter('basalt_rate_limit_refused_total', 'Requests refused with 429, by rule.');
  const lastWarn = new Map<RuleName, { at: number; suppressed: number }>();

  const onStoreError = (c: Context<AppEnv>, rule: RateLimitRuleConfig, err: unknown): void => {
    storeErrors.inc({ rule: rule.name, mode: rule.failure });
    const now = Date.now();
    const seen = lastWarn.get(rule.name);
    if (seen && now - seen.at < STORE_WARN_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    lastWarn.set(rule.name, { at: now, suppressed: 0 });
    const outcome = rule.failure === 'closed' ? 'refusing requests (fail closed)' : 'letting requests through (fail open)';
    requestLog(c)?.warn({ err, rule: rule.name, failure: rule.failure, backend: limiter.backend, suppressed: seen?.suppressed ?? 0 }, `rate limit store unavailable: ${outcome}`);
  };

  logger.debug({ enabled: config.RATE_LIMIT_ENABLED, backend: limiter.backend, rules: describeRules(rules) }, 'rate limits');

  const rateLimitFor = (name: RuleName, key?: KeyFn): MiddlewareHandler<AppEnv> | undefined => {
    const rule = rules[name];
    if (!config.RATE_LIMIT_ENABLED || !rule) return undefined;
    return rateLimit({ rule, key: key ?? keyFor(rule.key, keys), limiter, onStoreError, onRefused: (_c, r) => refused.inc({ rule: r.name }) });
  };

  return {
    clientIp: () => clientIp({ trustedProxies }),
    clientIpStep: () => clientIpStep({ trustedProxies }),
    rateLimit: (name, key) => rateLimitFor(name, key) ?? pass,
    turnstile: () => turnstile(deps.verifier),
    enabled: (...names) => names.flatMap((name) => (name === 'turnstile' ? (deps.verifier ? [turnstile(deps.verifier)] : []) : (rateLimitFor(name) ?? []))),
    keys,
    rules,
  };
}
