import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('platform routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /ready names the stores it checked', async () => {
    const res = await t.call('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ status: 'ready', checks: { sql: 'ok', kv: 'ok' } });
  });

  it('GET /errors returns the whole catalog', async () => {
    const res = await t.call('GET', '/errors');
    expect(res.status).toBe(200);
    const entries = res.body.data as Array<{ code: string; status: number; type: string; scenario: string }>;
    expect(entries.map((e) => e.code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(entries.find((e) => e.code === 'user:not_verified')).toMatchObject({ status: 403, type: 'FORBIDDEN', deviation: { seedStatus: 401 } });
  });

  it('GET /openapi.json is OpenAPI 3.1 with the envelopes and every route', async () => {
    const res = await t.call<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/errors']));
    expect(res.body.components.schemas).toHaveProperty('ErrorEnvelope');
    expect(JSON.stringify(res.body.paths['/ready'])).toContain('#/components/schemas/ErrorEnvelope');
  });

  it('GET /docs serves the interactive docs and their assets offline', async () => {
    const page = await t.call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/docs/assets/init.js');
    expect((await t.call('GET', '/docs/assets/init.js')).text).toContain("url: '/openapi.json'");
    const js = await t.call('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect(js.text.length).toBeGreaterThan(100_000);
    const missing = await t.call('GET', '/docs/assets/../../package.json');
    expect(missing.status).toBe(404);
  });

  it('GET /metrics counts requests by route pattern in Prometheus format', async () => {
    await t.call('GET', '/health');
    await t.call('GET', '/v1/unknown/123');
    const res = await t.call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/basalt_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(res.text).toContain('basalt_http_request_duration_seconds_bucket');
    expect(res.text).not.toContain('/v1/unknown/123');
  });
});

describe('readiness when a store is down', () => {
  it('answers 503 system:not_ready naming the failing part', async () => {
    const t = await createTestApp();
    try {
      await t.container.kv.close();
      const res = await t.call('GET', '/ready');
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'system:not_ready', type: 'SERVICE_UNAVAILABLE' });
      expect(res.body.error?.details).toEqual([expect.objectContaining({ field: 'kv' })]);
      expect(res.body.error?.message).toContain('kv');
    } finally {
      await t.close();
    }
  });
});
