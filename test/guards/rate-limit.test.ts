import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../src/app/container.ts';
import { ok } from '../../src/http/envelope.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { errorResponses, jsonResponse } from '../../src/http/openapi.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Small routes guarded the way the auth and logs modules guard theirs. `x-test-user` and
 * `x-test-key` stand in for session and API-key authentication: they set `c.var.userId`
 * and `c.var.apiKeyId`, the seams per-user and per-key limits read.
 */
function mountTestRoutes(app: OpenAPIHono<AppEnv>, { guards }: Container): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/test/login',
      middleware: [guards.rateLimit('login:ip'), guards.rateLimit('login:identifier')] as const,
      request: { body: { content: { 'application/json': { schema: z.object({ login: z.string().min(1), password: z.string().min(1) }) } }, required: true } },
      responses: { 200: jsonResponse(z.object({ login: z.string() }), 'Signed in'), ...errorResponses(400, 429) },
    }),
    (c) => ok(c, { login: c.req.valid('json').login }),
  );
  app.get(
    '/v1/test/me',
    async (c, next) => {
      const user = c.req.header('x-test-user');
      if (user) c.set('userId', user);
      await next();
    },
    guards.rateLimit('api:user'),
    (c) => ok(c, { user: c.get('userId') ?? null }),
  );
  app.post(
    '/v1/test/logs',
    async (c, next) => {
      const key = c.req.header('x-test-key');
      if (key) c.set('apiKeyId', key);
      await next();
    },
    guards.rateLimit('log_ingest:key'),
    (c) => ok(c, { accepted: 1 }, 202),
  );
  app.get('/v1/test/open', (c) => ok(c, { ip: c.get('clientIp') }));
}

async function guardedApp(env: Record<string, string>): Promise<TestApp> {
  return createTestApp({
    // In-process calls come from the loopback placeholder; trusting it lets a test pick
    // the client address with X-Forwarded-For.
    env: { TRUSTED_PROXIES: '127.0.0.1', ...env },
    extend: mountTestRoutes,
  });
}

const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('rate limiting over HTTP (embedded store)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Long windows: a budget pays back one hit per window/limit, and a busy test machine
    // must not let a hit come back before a test has spent the budget.
    t = await guardedApp({
      RATE_LIMIT_API_IP: '30/10m',
      RATE_LIMIT_LOGIN_IP: '10/10m',
      RATE_LIMIT_LOGIN_IDENTIFIER: '5/10m',
      RATE_LIMIT_LOG_INGEST_KEY: '3/10m',
      RATE_LIMIT_API_USER: '4/10m',
    });
  });
  afterAll(() => t.close());

  it('sets X-RateLimit-Limit/Remaining/Reset (epoch seconds) on a limited success', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await t.call('GET', '/v1/test/open', { headers: from('198.51.100.1') });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit')).toBe('30');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('29');
    const reset = Number(r.headers.get('x-ratelimit-reset'));
    // One hit of 30 per 10 min is paid back after 20 s.
    expect(reset).toBeGreaterThanOrEqual(before + 20);
    expect(reset).toBeLessThanOrEqual(before + 22);
    expect(r.headers.get('retry-after')).toBeNull();
  });

  it('sets them on limited error responses too: unknown /v1 path, failed validation', async () => {
    const missing = await t.call('GET', '/v1/no-such-thing', { headers: from('198.51.100.2') });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-ratelimit-remaining')).toBe('29');
    const invalid = await t.call('POST', '/v1/test/login', { headers: from('198.51.100.2'), json: { login: 'x' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.code).toBe('general:validation_error');
    expect(invalid.headers.get('x-ratelimit-limit')).not.toBeNull();
  });

  it('does not limit routes outside /v1', async () => {
    const r = await t.call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('answers 429 rate_limit:exceeded with Retry-After once the budget is spent', async () => {
    const ip = from('198.51.100.3');
    for (let i = 0; i < 30; i++) expect((await t.call('GET', '/v1/test/open', { headers: ip })).status).toBe(200);
    const r = await t.call('GET', '/v1/test/open', { headers: ip });
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ code: 'rate_limit:exceeded', type: 'RATE_LIMITED', message: 'Too many requests' });
    expect(r.body.error?.requestId).toBe(r.headers.get('x-request-id'));
    expect(r.headers.get('x-ratelimit-limit')).toBe('30');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    // The next hit is due one interval (20 s) after the first; the full budget in 10 min.
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 570);
    // Another client is unaffected.
    expect((await t.call('GET', '/v1/test/open', { headers: from('198.51.100.4') })).status).toBe(200);
  });

  it('limits login per identifier across IPs, case-insensitively, and shows the tighter budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.call('POST', '/v1/test/login', { headers: from(`203.0.113.${10 + i}`), json: { login: i % 2 ? 'Alice@Example.com' : ' alice@example.com', password: 'pw' } });
      statuses.push(r.status);
      // login:identifier (5) is tighter than login:ip (10) and api:ip (30).
      expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      expect(r.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await t.call('POST', '/v1/test/login', { headers: from('203.0.113.99'), json: { login: 'alice@example.com', password: 'pw' } });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('rate_limit:exceeded');
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const bob = await t.call('POST', '/v1/test/login', { headers: from('203.0.113.99'), json: { login: 'bob', password: 'pw' } });
    expect(bob.status).toBe(200);
    expect(bob.body.data.login).toBe('bob');
  });

  it('limits login per IP whatever identifiers are tried', async () => {
    const ip = from('203.0.113.200');
    for (let i = 0; i < 10; i++) expect((await t.call('POST', '/v1/test/login', { headers: ip, json: { login: `user${i}`, password: 'pw' } })).status).toBe(200);
    const r = await t.call('POST', '/v1/test/login', { headers: ip, json: { login: 'fresh-user', password: 'pw' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('x-ratelimit-limit')).toBe('10');
  });

  it('limits per signed-in user (4 here), whatever the IP; anonymous requests only by IP', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await t.call('GET', '/v1/test/me', { headers: { ...from(`192.0.2.${50 + i}`), 'x-test-user': 'u1' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('4');
    }
    expect((await t.call('GET', '/v1/test/me', { headers: { ...from('192.0.2.60'), 'x-test-user': 'u1' } })).status).toBe(429);
    // Same IP as u1's last try, another user: a budget of its own.
    expect((await t.call('GET', '/v1/test/me', { headers: { ...from('192.0.2.60'), 'x-test-user': 'u2' } })).status).toBe(200);
    // Anonymous: not counted per user at all; only the per-IP budget (30) shows.
    for (let i = 0; i < 5; i++) {
      const anon = await t.call('GET', '/v1/test/me', { headers: from('192.0.2.61') });
      expect(anon.status).toBe(200);
      expect(anon.body.data.user).toBeNull();
      expect(anon.headers.get('x-ratelimit-limit')).toBe('30');
    }
  });

  it('limits log ingest per API key, whichever IP the key is used from', async () => {
    const key = (id: string, ip: string) => ({ ...from(ip), 'x-test-key': id });
    for (let i = 0; i < 3; i++) expect((await t.call('POST', '/v1/test/logs', { headers: key('key_one', `192.0.2.${i + 1}`), json: {} })).status).toBe(202);
    const refused = await t.call('POST', '/v1/test/logs', { headers: key('key_one', '192.0.2.9'), json: {} });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
    expect((await t.call('POST', '/v1/test/logs', { headers: key('key_two', '192.0.2.9'), json: {} })).status).toBe(202);
  });

  it('counts an IPv6 client by its /64', async () => {
    const a = await t.call('GET', '/v1/test/open', { headers: from('2001:db8:aa:1::1') });
    const b = await t.call('GET', '/v1/test/open', { headers: from('2001:db8:aa:1::ffff') });
    const other = await t.call('GET', '/v1/test/open', { headers: from('2001:db8:aa:2::1') });
    expect(a.body.data.ip).toBe('2001:db8:aa:1::1');
    expect(a.headers.get('x-ratelimit-remaining')).toBe('29');
    expect(b.headers.get('x-ratelimit-remaining')).toBe('28');
    expect(other.headers.get('x-ratelimit-remaining')).toBe('29');
  });
});

describe('rate-limit configuration', () => {
  it('RATE_LIMIT_ENABLED=false removes limits and headers', async () => {
    const t = await guardedApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_API_IP: '1/1m' });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await t.call('GET', '/v1/test/open');
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBeNull();
      }
    } finally {
      await t.close();
    }
  });

  it('a rule set to "off" is skipped while the others apply; overrides change the budget', async () => {
    const t = await guardedApp({ RATE_LIMIT_LOGIN_IDENTIFIER: 'off', RATE_LIMIT_LOGIN_IP: '2/10s', RATE_LIMIT_API_IP: '100/1m' });
    try {
      expect(t.container.guards.rules['login:identifier']).toBeNull();
      expect(t.container.guards.rules['login:ip']).toMatchObject({ limit: 2, windowMs: 10_000, failure: 'closed' });
      const body = { login: 'same', password: 'pw' };
      const first = await t.call('POST', '/v1/test/login', { json: body });
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect((await t.call('POST', '/v1/test/login', { json: body })).status).toBe(200);
      const third = await t.call('POST', '/v1/test/login', { json: body });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    } finally {
      await t.close();
    }
  });
});
