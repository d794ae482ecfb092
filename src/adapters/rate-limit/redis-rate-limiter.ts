import { Redis } from 'ioredis';
import { gcraParams } from '../../lib/gcra.ts';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from '../../ports/rate-limiter.ts';

// GCRA in one script, so read-decide-write is one atomic step on the server. Time is the
// server's (TIME), so app processes with skewed clocks share one budget. Values are integer
// µs; '%.0f' keeps all their digits (tostring would round to 14).
// Returns {allowed, remaining, tat (µs: reset time), retry (µs)}.
const GCRA = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local newTat = tat + interval * cost
local allowAt = newTat - interval * limit
if allowAt > now then
  return {0, 0, tat, allowAt - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', math.max(1, math.ceil((newTat - now) / 1000)))
return {1, math.floor((now - allowAt) / interval), newTat, 0}`;

export interface RedisRateLimiterOptions {
  url: string;
  /** Prepended to every key (deployment prefix plus a namespace of its own). */
  prefix?: string;
  /** A hit with no answer in this time rejects instead of holding the request. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

type ScriptedRedis = Redis & {
  basaltGcra(key: string, intervalUs: number, limit: number, cost: number): Promise<[number, number, number, number]>;
};

/**
 * GCRA on Redis over a connection of its own (so a slow KV call never queues behind a
 * hit, nor the reverse). No offline queue: while Redis is down, hits reject at once.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly backend = 'redis' as const;
  private readonly redis: ScriptedRedis;

  private constructor(options: RedisRateLimiterOptions) {
    this.redis = new Redis(options.url, {
      keyPrefix: options.prefix ?? '',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 3_000,
      commandTimeout: options.commandTimeoutMs ?? 500,
    }) as ScriptedRedis;
    this.redis.on('error', () => {
      // Surfaced through rejected hits (logged by the guard) and /ready; ioredis reconnects.
    });
    this.redis.defineCommand('basaltGcra', { numberOfKeys: 1, lua: GCRA });
  }

  /** Connects before returning, so a wrong URL fails start-up rather than the first request. */
  static async connect(options: RedisRateLimiterOptions): Promise<RedisRateLimiter> {
    const limiter = new RedisRateLimiter(options);
    await limiter.redis.connect();
    return limiter;
  }

  /**
   * Returns at once and connects in the background: until Redis answers, hits reject.
   * For callers that must start while Redis is down.
   */
  static open(options: RedisRateLimiterOptions): RedisRateLimiter {
    const limiter = new RedisRateLimiter(options);
    limiter.redis.connect().catch(() => {
      // ioredis keeps retrying; hits reject meanwhile.
    });
    return limiter;
  }

  async hit(key: string, rule: RateLimitRule, cost = 1): Promise<RateLimitDecision> {
    const { interval } = gcraParams(rule);
    const [allowed, remaining, tat, retryUs] = await this.redis.basaltGcra(key, interval, rule.limit, cost);
    const ok = Number(allowed) === 1;
    return {
      allowed: ok,
      limit: rule.limit,
      remaining: Number(remaining),
      resetAt: Math.ceil(Number(tat) / 1000),
      retryAfterMs: ok ? 0 : cost > rule.limit ? rule.windowMs : Math.max(1, Math.ceil(Number(retryUs) / 1000)),
    };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
