import { createServer } from 'node:net';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../../src/app/container.ts';
import { ok } from '../../src/http/envelope.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { errorResponses, jsonResponse } from '../../src/http/openapi.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { startSiteverify, TEST_SECRETS, type FakeSiteverify } from './siteverify-server.ts';
import { captureLogger, ERROR } from './support.ts';

const REAL_SECRET = '0x4AAAAAAAtestsecretForBasaltTests';

/** A sign-up-like route guarded as register is: rate limit first, then Turnstile. */
function mount(app: OpenAPIHono<AppEnv>, { guards }: Container): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/test/signup',
      middleware: [guards.rateLimit('register:ip'), guards.turnstile()] as const,
      request: { body: { content: { 'application/json': { schema: z.object({ email: z.email(), turnstileToken: z.string().optional() }) } }, required: true } },
      responses: { 201: jsonResponse(z.object({ email: z.string() }), 'Created'), ...errorResponses(400, 403, 429, 503) },
    }),
    (c) => ok(c, { email: c.req.valid('json').email }, 201),
  );
}

async function appFor(env: Record<string, string>, logger?: ReturnType<typeof captureLogger>['logger']): Promise<TestApp> {
  return createTestApp({ env: { TRUSTED_PROXIES: '127.0.0.1', RATE_LIMIT_REGISTER_IP: '1000/1m', ...env }, extend: mount, ...(logger ? { logger } : {}) });
}

const signup = (t: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.call('POST', '/v1/test/signup', { json: { email: 'new@example.com', ...body }, headers: { 'x-forwarded-for': '203.0.113.50', ...headers } });

describe('Turnstile with a real secret against a local siteverify', () => {
  let fake: FakeSiteverify;
  let t: TestApp;
  const log = captureLogger();
  beforeAll(async () => {
    fake = await startSiteverify(REAL_SECRET);
    t = await appFor({ TURNSTILE_SECRET: REAL_SECRET, TURNSTILE_VERIFY_URL: fake.url, TURNSTILE_TIMEOUT_MS: '400' }, log.logger);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.mode = 'normal';
    fake.requests.length = 0;
  });

  it('refuses a request without a token: 400 turnstile:token_missing, siteverify not called', async () => {
    const r = await signup(t, {});
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'turnstile:token_missing', type: 'VALIDATION_ERROR' });
    expect(r.body.error?.details?.[0]?.field).toBe('turnstileToken');
    expect((await signup(t, { turnstileToken: '   ' })).body.error?.code).toBe('turnstile:token_missing');
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts a valid body token, posting secret, response and the client IP as remoteip (form-encoded)', async () => {
    const token = fake.issueToken();
    const r = await signup(t, { turnstileToken: token });
    expect(r.status).toBe(201);
    // The route's validator still reads the body Turnstile read first.
    expect(r.body.data.email).toBe('new@example.com');
    expect(fake.requests).toEqual([{ contentType: 'application/x-www-form-urlencoded;charset=UTF-8', secret: REAL_SECRET, response: token, remoteip: '203.0.113.50' }]);
  });

  it('accepts the token from the cf-turnstile-response header, and sends an IPv6 remoteip canonical', async () => {
    const token = fake.issueToken();
    const r = await signup(t, {}, { 'cf-turnstile-response': token, 'x-forwarded-for': '2001:DB8::0:7' });
    expect(r.status).toBe(201);
    expect(fake.requests[0]).toMatchObject({ response: token, remoteip: '2001:db8::7' });
  });

  it('refuses a replayed or unknown token: 403 turnstile:verification_failed', async () => {
    const token = fake.issueToken();
    expect((await signup(t, { turnstileToken: token })).status).toBe(201);
    const replay = await signup(t, { turnstileToken: token });
    expect(replay.status).toBe(403);
    expect(replay.body.error).toMatchObject({ code: 'turnstile:verification_failed', type: 'FORBIDDEN' });
    expect((await signup(t, { turnstileToken: 'made-up' })).body.error?.code).toBe('turnstile:verification_failed');
    // Longer than Cloudflare's 2048-character tokens: refused without asking.
    const before = fake.requests.length;
    expect((await signup(t, { turnstileToken: 'x'.repeat(2049) })).status).toBe(403);
    expect(fake.requests).toHaveLength(before);
  });

  it('answers 503 turnstile:service_error when siteverify is slower than the timeout, and does not wait for it', async () => {
    fake.mode = 'slow';
    fake.slowMs = 2_000;
    const start = performance.now();
    const r = await signup(t, { turnstileToken: fake.issueToken() });
    const took = performance.now() - start;
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'turnstile:service_error', type: 'SERVICE_UNAVAILABLE' });
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1_500);
  });

  it.each(['garbage', 'http-error', 'internal-error', 'no-success-field'] as const)('answers 503 when siteverify answers %s', async (mode) => {
    fake.mode = mode;
    const r = await signup(t, { turnstileToken: fake.issueToken() });
    expect(r.status).toBe(503);
    expect(r.body.error?.code).toBe('turnstile:service_error');
  });

  it('answers 400 general:bad_request for a malformed JSON body rather than guessing there is no token', async () => {
    const r = await t.call('POST', '/v1/test/signup', { body: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('general:bad_request');
  });

  it('logs an error (not just a warning) when siteverify refuses our secret, and answers 503', async () => {
    const wrong = await appFor({ TURNSTILE_SECRET: 'not-the-secret', TURNSTILE_VERIFY_URL: fake.url }, log.logger);
    try {
      const r = await signup(wrong, { turnstileToken: fake.issueToken() });
      expect(r.status).toBe(503);
      expect(log.lines.some((l) => l.level === ERROR && l.msg.includes('refused TURNSTILE_SECRET'))).toBe(true);
    } finally {
      await wrong.close();
    }
  });
});

describe('Turnstile with Cloudflare’s test secrets', () => {
  let fake: FakeSiteverify;
  beforeAll(async () => {
    fake = await startSiteverify(REAL_SECRET);
  });
  afterAll(() => fake.close());

  it.each([
    ['always passes', TEST_SECRETS.alwaysPasses, 201, undefined],
    ['always fails', TEST_SECRETS.alwaysFails, 403, 'turnstile:verification_failed'],
    ['token already spent', TEST_SECRETS.tokenSpent, 403, 'turnstile:verification_failed'],
  ])('%s', async (_name, secret, status, code) => {
    const t = await appFor({ TURNSTILE_SECRET: secret, TURNSTILE_VERIFY_URL: fake.url });
    try {
      const r = await signup(t, { turnstileToken: 'XXXX.DUMMY.TOKEN.XXXX' });
      expect(r.status).toBe(status);
      if (code) expect(r.body.error?.code).toBe(code);
      // Even the always-pass secret needs a token to be sent.
      expect((await signup(t, {})).body.error?.code).toBe('turnstile:token_missing');
    } finally {
      await t.close();
    }
  });
});

describe('Turnstile edge cases', () => {
  it('is off without TURNSTILE_SECRET: no token needed', async () => {
    const t = await appFor({});
    try {
      expect((await signup(t, {})).status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('answers 503 when siteverify is unreachable', async () => {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const address = srv.address();
    const port = typeof address === 'object' && address ? address.port : 1;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    const t = await appFor({ TURNSTILE_SECRET: REAL_SECRET, TURNSTILE_VERIFY_URL: `http://127.0.0.1:${port}/siteverify` });
    try {
      const r = await signup(t, { turnstileToken: 'anything' });
      expect(r.status).toBe(503);
      expect(r.body.error?.code).toBe('turnstile:service_error');
    } finally {
      await t.close();
    }
  });

  it('gives up after the default 3 s', async () => {
    const fake = await startSiteverify(REAL_SECRET);
    fake.mode = 'slow';
    fake.slowMs = 4_500;
    const t = await appFor({ TURNSTILE_SECRET: REAL_SECRET, TURNSTILE_VERIFY_URL: fake.url });
    try {
      const start = performance.now();
      const r = await signup(t, { turnstileToken: fake.issueToken() });
      const took = performance.now() - start;
      expect(r.status).toBe(503);
      expect(took).toBeGreaterThanOrEqual(2_900);
      expect(took).toBeLessThan(4_000);
    } finally {
      await t.close();
      await fake.close();
    }
  });

  it('runs after the rate limit: a refused request costs no siteverify call', async () => {
    const fake = await startSiteverify(REAL_SECRET);
    const t = await appFor({ TURNSTILE_SECRET: REAL_SECRET, TURNSTILE_VERIFY_URL: fake.url, RATE_LIMIT_REGISTER_IP: '2/1m' });
    try {
      expect((await signup(t, { turnstileToken: fake.issueToken() })).status).toBe(201);
      expect((await signup(t, { turnstileToken: fake.issueToken() })).status).toBe(201);
      const refused = await signup(t, { turnstileToken: fake.issueToken() });
      expect(refused.status).toBe(429);
      expect(fake.requests).toHaveLength(2);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
