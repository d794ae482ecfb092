import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteRateLimiter } from '../../src/adapters/rate-limit/sqlite-rate-limiter.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ok } from '../../src/http/envelope.ts';
import { errorHandler } from '../../src/http/error-mapper.ts';
import { createGuards, type Guards } from '../../src/http/guards.ts';
import { requestId } from '../../src/http/request-id.ts';
import { createRouter } from '../../src/http/router.ts';
import { MetricsRegistry } from '../../src/lib/metrics.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';

/**
 * The key functions on their own: a minimal app (request id, client IP, one guarded route
 * per key function, the error mapper) without the modules' authentication in front, so the
 * fallbacks for a request no middleware has identified are visible.
 */
describe('rate-limit key functions', () => {
  const dir = tempDir('basalt-rl-keys-');
  const path = join(dir.path, 'kv.db');
  let limiter: SqliteRateLimiter;
  let guards: Guards;
  let call: ApiCall;

  beforeAll(() => {
    limiter = new SqliteRateLimiter({ path });
    const config = loadConfig({ TRUSTED_PROXIES: 'loopback', RATE_LIMIT_LOG_INGEST_KEY: '2/1m', RATE_LIMIT_FORGOT_PASSWORD_EMAIL: '2/1h' });
    const logger = pino({ level: 'silent' });
    guards = createGuards({ config, limiter, logger, metrics: new MetricsRegistry() });
    const app = createRouter();
    app.use('*', requestId(logger), guards.clientIp());
    app.post('/ingest', guards.rateLimit('log_ingest:key'), (c) => ok(c, { accepted: true }, 202));
    app.post('/forgot', guards.rateLimit('forgot_password:email'), (c) => ok(c, { sent: true }));
    app.get('/mine', guards.rateLimit('log_ingest:key', guards.keys.user), (c) => ok(c, {}));
    app.onError(errorHandler({ exposeInternals: false }));
    call = apiClient((req) => app.fetch(req));
  });
  afterAll(async () => {
    await limiter.close();
    dir.remove();
  });

  it('counts a presented API key (X-API-Key or Bearer bsk_…) by its hash, whatever the IP', async () => {
    const s1 = await call('POST', '/ingest', { headers: { 'x-api-key': 'bsk_secret_a', 'x-forwarded-for': '198.51.100.1' }, json: {} });
    const s2 = await call('POST', '/ingest', { headers: { authorization: 'Bearer bsk_secret_a', 'x-forwarded-for': '198.51.100.2' }, json: {} });
    expect([s1.status, s2.status]).toEqual([202, 202]);
    expect((await call('POST', '/ingest', { headers: { 'x-api-key': 'bsk_secret_a' }, json: {} })).status).toBe(429);
    expect((await call('POST', '/ingest', { headers: { 'x-api-key': 'bsk_secret_b' }, json: {} })).status).toBe(202);
  });

  it('counts a request without a key by its IP', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.77' };
    expect((await call('POST', '/ingest', { headers: ip, json: {} })).status).toBe(202);
    expect((await call('POST', '/ingest', { headers: { authorization: 'Bearer not-a-key', ...ip }, json: {} })).status).toBe(202);
    expect((await call('POST', '/ingest', { headers: ip, json: {} })).status).toBe(429);
  });

  it('keys.user falls back to the IP when no user is known', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.88' };
    await call('GET', '/mine', { headers: ip });
    await call('GET', '/mine', { headers: ip });
    expect((await call('GET', '/mine', { headers: ip })).status).toBe(429);
  });

  it('counts an e-mail case-insensitively, skips a request without one, and never stores the address', async () => {
    const send = (email: unknown, ip: string) => call('POST', '/forgot', { headers: { 'x-forwarded-for': ip }, json: { email } });
    expect((await send('Victim@Example.com', '203.0.113.1')).status).toBe(200);
    expect((await send(' victim@example.COM ', '203.0.113.2')).status).toBe(200);
    expect((await send('victim@example.com', '203.0.113.3')).status).toBe(429);
    // No e-mail (or not a string): this rule does not apply; validation is the route's job.
    for (const email of [undefined, 42, '']) expect((await send(email, '203.0.113.4')).headers.get('x-ratelimit-limit')).toBeNull();
    const db = new SQLite(path, { readonly: true });
    try {
      const keys = (db.prepare('select key from rate_limit_gcra').all() as { key: string }[]).map((r) => r.key);
      expect(keys.some((k) => k.startsWith('forgot_password:email:email:'))).toBe(true);
      expect(keys.join('\n')).not.toMatch(/victim|example|bsk_secret/i);
    } finally {
      db.close();
    }
  });
});
