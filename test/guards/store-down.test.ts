import { createServer } from 'node:net';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/adapters/rate-limit/redis-rate-limiter.ts';
import type { Container } from '../../src/app/container.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ok } from '../../src/http/envelope.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { createGuards, type Guards } from '../../src/http/guards.ts';
import { MetricsRegistry } from '../../src/lib/metrics.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { captureLogger, WARN, type CapturedLog } from './support.ts';

/** A login-like route (rules that fail closed) and a refresh-like one (fail open). */
function mount(app: OpenAPIHono<AppEnv>, guards: Guards): void {
  app.post('/v1/test/login', guards.rateLimit('login:ip'), guards.rateLimit('login:identifier'), (c) => ok(c, { signedIn: true }));
  app.post('/v1/test/refresh', guards.rateLimit('refresh:ip'), (c) => ok(c, { refreshed: true }));
}

const storeWarnings = (lines: CapturedLog[]) => lines.filter((l) => l.level === WARN && l.msg.startsWith('rate limit store unavailable'));

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('embedded store closed under a running app', () => {
  let t: TestApp;
  const log = captureLogger();
  beforeAll(async () => {
    t = await createTestApp({ logger: log.logger, extend: (app, c: Container) => mount(app, c.guards) });
    // A real fault: the limiter's own SQLite connection goes away; the rest keeps working.
    await t.container.limiter.close();
  });
  afterAll(() => t.close());

  it('fails closed for login: 503 rate_limit:store_unavailable with Retry-After, at once', async () => {
    const start = performance.now();
    const r = await t.call('POST', '/v1/test/login', { json: { login: 'alice', password: 'pw' } });
    expect(performance.now() - start).toBeLessThan(1_000);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'rate_limit:store_unavailable', type: 'SERVICE_UNAVAILABLE' });
    expect(r.headers.get('retry-after')).toBe('5');
    // Nothing is known about the budget, so no X-RateLimit-* headers are invented.
    expect(r.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('fails open for refresh (and the global /v1 rule): the request passes and a warning is logged', async () => {
    const r = await t.call('POST', '/v1/test/refresh', { json: {} });
    expect(r.status).toBe(200);
    expect(r.body.data.refreshed).toBe(true);
    const warned = storeWarnings(log.lines);
    expect(warned.map((l) => l.rule)).toEqual(expect.arrayContaining(['api:ip', 'login:ip', 'refresh:ip']));
    const refresh = warned.find((l) => l.rule === 'refresh:ip');
    expect(refresh).toMatchObject({ failure: 'open', backend: 'sqlite' });
    expect(typeof refresh?.reqId).toBe('string');
    expect(warned.find((l) => l.rule === 'login:ip')?.failure).toBe('closed');
  });

  it('logs one warning per rule per interval, and counts every failure in /metrics', async () => {
    const before = storeWarnings(log.lines).length;
    for (let i = 0; i < 5; i++) expect((await t.call('POST', '/v1/test/refresh', { json: {} })).status).toBe(200);
    expect(storeWarnings(log.lines).length).toBe(before);
    const metrics = await t.call('GET', '/metrics');
    expect(metrics.text).toMatch(/basalt_rate_limit_store_errors_total\{mode="open",rule="refresh:ip"\} 6/);
    expect(metrics.text).toMatch(/basalt_rate_limit_store_errors_total\{mode="closed",rule="login:ip"\} 1/);
  });
});

describe('Redis limiter pointed at a closed port', () => {
  let t: TestApp;
  let limiter: RedisRateLimiter;
  const log = captureLogger();
  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test', RATE_LIMIT_TIMEOUT_MS: '200' });
    limiter = RedisRateLimiter.open({ url: `redis://127.0.0.1:${await deadPort()}`, commandTimeoutMs: config.RATE_LIMIT_TIMEOUT_MS });
    const guards = createGuards({ config, limiter, logger: log.logger, metrics: new MetricsRegistry() });
    t = await createTestApp({ logger: log.logger, extend: (app) => mount(app, guards) });
  });
  afterAll(async () => {
    await limiter.close();
    await t.close();
  });

  it('fails closed for login and open for refresh, quickly, logging both', async () => {
    const start = performance.now();
    const login = await t.call('POST', '/v1/test/login', { json: { login: 'alice', password: 'pw' } });
    const refresh = await t.call('POST', '/v1/test/refresh', { json: {} });
    expect(performance.now() - start).toBeLessThan(1_000);
    expect(login.status).toBe(503);
    expect(login.body.error?.code).toBe('rate_limit:store_unavailable');
    expect(refresh.status).toBe(200);
    const rules = storeWarnings(log.lines).map((l) => `${l.rule}:${l.backend}`);
    expect(rules).toEqual(expect.arrayContaining(['login:ip:redis', 'refresh:ip:redis']));
  });
});

describe('failure modes are configurable', () => {
  it('RATE_LIMIT_LOGIN_IP=10/1m,open lets login through while the store is down; refresh ...,closed refuses', async () => {
    const log = captureLogger();
    const t = await createTestApp({
      logger: log.logger,
      env: { RATE_LIMIT_LOGIN_IP: '10/1m,open', RATE_LIMIT_LOGIN_IDENTIFIER: '5/1m,open', RATE_LIMIT_REFRESH_IP: '150/5m,closed' },
      extend: (app, c) => mount(app, c.guards),
    });
    try {
      await t.container.limiter.close();
      expect((await t.call('POST', '/v1/test/login', { json: { login: 'a', password: 'b' } })).status).toBe(200);
      expect((await t.call('POST', '/v1/test/refresh', { json: {} })).status).toBe(503);
    } finally {
      await t.close();
    }
  });
});
