import { Redis } from 'ioredis';
import type { KvSetOptions, KvStore, KvWrite } from '../../ports/kv.ts';

// INCRBY and, only when the key was just created, PEXPIRE: one script, so one atomic step.
// Creation is read from EXISTS, not from the result: a counter that comes back round to
// `by` (e.g. +2, -2, +2) is not new and must keep its window.
const INCREMENT = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

// Append, trim to the newest N and refresh the TTL together.
const LIST_PUSH = `
local n = #ARGV - 2
for i = 1, n do redis.call('RPUSH', KEYS[1], ARGV[i + 2]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

export interface RedisKvOptions {
  url: string;
  /** Prepended to every key, so several deployments (or test runs) share one server. */
  prefix?: string;
  /** Fails a command that gets no answer in time instead of hanging a request. */
  commandTimeoutMs?: number;
}

type ScriptedRedis = Redis & {
  basaltIncrement(key: string, by: number, ttlMs: number): Promise<number>;
  basaltListPush(key: string, maxLength: number, ttlMs: number, ...values: string[]): Promise<number>;
};

/** KV on Redis (ioredis). Atomicity comes from single commands or Lua scripts. */
export class RedisKvStore implements KvStore {
  readonly backend = 'redis' as const;
  private readonly redis: ScriptedRedis;

  private constructor(redis: ScriptedRedis) {
    this.redis = redis;
  }

  /** Connects before returning, so a wrong URL fails start-up rather than the first request. */
  static async connect(options: RedisKvOptions): Promise<RedisKvStore> {
    const redis = new Redis(options.url, {
      keyPrefix: options.prefix ?? '',
      lazyConnect: true,
      // No offline queue: while Redis is down, commands fail at once instead of piling up.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      commandTimeout: options.commandTimeoutMs ?? 3_000,
    }) as ScriptedRedis;
    let lastError: Error | undefined;
    redis.on('error', (err: Error) => {
      // Reported through failing commands and /ready; ioredis reconnects on its own.
      lastError = err;
    });
    redis.defineCommand('basaltIncrement', { numberOfKeys: 1, lua: INCREMENT });
    redis.defineCommand('basaltListPush', { numberOfKeys: 1, lua: LIST_PUSH });
    try {
      await redis.connect();
    } catch (err) {
      // Otherwise the client keeps reconnecting in the background and holds the process open.
      redis.disconnect();
      // ioredis rejects with a bare "Connection is closed."; the socket error says why.
      const reason = lastError?.message ?? (err instanceof Error ? err.message : String(err));
      throw new Error(`Redis connection failed: ${reason}`, { cause: lastError ?? err });
    }
    return new RedisKvStore(redis);
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, options: KvSetOptions = {}): Promise<boolean> {
    const { ttlMs, ifAbsent } = options;
    let reply: string | null;
    if (ttlMs !== undefined && ifAbsent) reply = await this.redis.set(key, value, 'PX', ttlMs, 'NX');
    else if (ttlMs !== undefined) reply = await this.redis.set(key, value, 'PX', ttlMs);
    else if (ifAbsent) reply = await this.redis.set(key, value, 'NX');
    else reply = await this.redis.set(key, value);
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) === 1;
  }

  async getAndDelete(key: string): Promise<string | null> {
    return this.redis.getdel(key);
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    return Number(await this.redis.basaltIncrement(key, by, ttlMs ?? 0));
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(key);
    if (ms === -2) return null;
    return ms === -1 ? Infinity : ms;
  }

  async setAdd(key: string, members: string[], ttlMs?: number): Promise<void> {
    const tx = this.redis.multi();
    if (members.length > 0) tx.sadd(key, ...members);
    if (ttlMs !== undefined) tx.pexpire(key, ttlMs);
    await tx.exec();
  }

  async setRemove(key: string, members: string[]): Promise<void> {
    if (members.length > 0) await this.redis.srem(key, ...members);
  }

  async setMembers(key: string): Promise<string[]> {
    return this.redis.smembers(key);
  }

  async batch(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const tx = this.redis.multi();
    for (const w of writes) {
      if (w.op === 'set') {
        if (w.ttlMs !== undefined) tx.set(w.key, w.value, 'PX', w.ttlMs);
        else tx.set(w.key, w.value);
      } else if (w.op === 'delete') {
        tx.del(w.key);
      } else if (w.op === 'setAdd') {
        if (w.members.length > 0) tx.sadd(w.key, ...w.members);
        if (w.ttlMs !== undefined) tx.pexpire(w.key, w.ttlMs);
      } else if (w.members.length > 0) {
        tx.srem(w.key, ...w.members);
      }
    }
    // exec() resolves with per-command errors instead of throwing; surface the first.
    const replies = await tx.exec();
    const failed = replies?.find(([err]) => err !== null);
    if (failed) throw failed[0];
  }

  async listPush(key: string, values: string[], options: { maxLength: number; ttlMs?: number }): Promise<void> {
    if (values.length === 0) return;
    await this.redis.basaltListPush(key, options.maxLength, options.ttlMs ?? 0, ...values.slice(-options.maxLength));
  }

  async listRange(key: string, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const oldestFirst = await this.redis.lrange(key, -limit, -1);
    return oldestFirst.reverse();
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
