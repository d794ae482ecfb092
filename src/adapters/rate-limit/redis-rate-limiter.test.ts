import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runId, serviceUrl } from '../../../test/helpers/backends.ts';
import { runRateLimiterContract } from '../../ports/rate-limiter.contract.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

const url = serviceUrl('REDIS_URL');
const prefix = `${runId('rl')}:`;

describe.skipIf(!url)('RedisRateLimiter', () => {
  const redisUrl = url as string;
  afterAll(async () => {
    // Remove this run's keys; they would expire on their own within a minute anyway.
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  runRateLimiterContract('redis', () => RedisRateLimiter.connect({ url: redisUrl, prefix }));

  it('stores one key per limited key, under the prefix, expiring when the budget is full again', async () => {
    const limiter = await RedisRateLimiter.connect({ url: redisUrl, prefix });
    const admin = new Redis(redisUrl);
    try {
      await limiter.hit('ttl-check', { limit: 10, windowMs: 60_000 });
      const ttl = await admin.pttl(`${prefix}ttl-check`);
      expect(ttl).toBeGreaterThan(5_000);
      expect(ttl).toBeLessThanOrEqual(6_000);
    } finally {
      await admin.quit();
      await limiter.close();
    }
  });
});

describe('RedisRateLimiter with Redis down', () => {
  let closed: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (closed ? closed.close(() => resolve()) : resolve())));

  async function deadPort(): Promise<number> {
    // Bind and release a port: nothing listens there afterwards.
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const address = srv.address();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return typeof address === 'object' && address ? address.port : 1;
  }

  it('fails start-up when connecting to a closed port', async () => {
    const port = await deadPort();
    await expect(RedisRateLimiter.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 })).rejects.toThrow();
  });

  it('rejects hits at once (no offline queue) while Redis is unreachable', async () => {
    const port = await deadPort();
    const limiter = RedisRateLimiter.open({ url: `redis://127.0.0.1:${port}` });
    try {
      const start = performance.now();
      await expect(limiter.hit('k', { limit: 1, windowMs: 1000 })).rejects.toThrow();
      expect(performance.now() - start).toBeLessThan(200);
    } finally {
      await limiter.close();
    }
  });

  it('rejects within the command timeout when Redis accepts but never answers', async () => {
    // A TCP server that accepts connections and says nothing: a hung Redis.
    closed = createServer(() => {});
    await new Promise<void>((resolve) => closed?.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address ? address.port : 1;
    const limiter = RedisRateLimiter.open({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 150, connectTimeoutMs: 150 });
    try {
      const start = performance.now();
      await expect(limiter.hit('k', { limit: 1, windowMs: 1000 })).rejects.toThrow();
      expect(performance.now() - start).toBeLessThan(1_000);
    } finally {
      await limiter.close();
    }
  });
});
