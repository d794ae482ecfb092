import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer } from '../../src/app/container.ts';
import { startServer, type RunningServer } from '../../src/app/server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { runId, serviceUrl, tempDir } from '../helpers/backends.ts';
import { apiClient } from '../helpers/http.ts';

const redisUrl = serviceUrl('REDIS_URL');

/** A real Basalt server (its own data dir and SQL store) on Redis with the given key prefix. */
async function server(prefix: string): Promise<{ running: RunningServer; remove(): void }> {
  const dir = tempDir();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dir.path,
    REDIS_URL: redisUrl,
    KV_PREFIX: prefix,
    RATE_LIMIT_API_IP: '6/1m',
  });
  const container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
  const running = await startServer(container, { port: 0, host: '127.0.0.1' });
  return { running, remove: () => dir.remove() };
}

describe.skipIf(!redisUrl)('two server instances on one Redis', () => {
  const prefix = `${runId('kv')}:`;
  let a: Awaited<ReturnType<typeof server>>;
  let b: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    [a, b] = await Promise.all([server(prefix), server(prefix)]);
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      await s?.running.stop();
      s?.remove();
    }
  });

  it('share one budget: hits split across both run out at the limit', async () => {
    expect(a.running.port).not.toBe(b.running.port);
    const callA = apiClient(a.running.url);
    const callB = apiClient(b.running.url);
    const seen: Array<{ server: string; status: number; remaining: string | null }> = [];
    for (let i = 0; i < 6; i++) {
      const [name, call] = i % 2 === 0 ? ['a', callA] : ['b', callB];
      const r = await call('GET', '/v1/no-such-route');
      seen.push({ server: name, status: r.status, remaining: r.headers.get('x-ratelimit-remaining') });
    }
    // One budget of 6: each server's answer counts the other's hits.
    expect(seen.map((s) => s.remaining)).toEqual(['5', '4', '3', '2', '1', '0']);
    expect(seen.every((s) => s.status === 404)).toBe(true);
    for (const call of [callA, callB]) {
      const r = await call('GET', '/v1/no-such-route');
      expect(r.status).toBe(429);
      expect(r.body.error?.code).toBe('rate_limit:exceeded');
      expect(r.headers.get('retry-after')).not.toBeNull();
    }
  });

  it('a deployment with another key prefix on the same Redis has a budget of its own', async () => {
    const other = await server(`${runId('kv')}:`);
    try {
      const r = await apiClient(other.running.url)('GET', '/v1/no-such-route');
      expect(r.status).toBe(404);
      expect(r.headers.get('x-ratelimit-remaining')).toBe('5');
    } finally {
      await other.running.stop();
      other.remove();
    }
  });
});
