import type { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../src/http/envelope.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { apiClient, type ApiResponse, type TestEnvelope } from '../helpers/http.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { fetchFrom, serveApp, type ServedApp } from './support.ts';

const echoIp = (app: OpenAPIHono<AppEnv>) => {
  app.get('/v1/test/ip', (c) => ok(c, { ip: c.get('clientIp') }));
};

interface Served {
  t: TestApp;
  server: ServedApp;
  /** GET /v1/test/ip from a chosen local address (and server host), with extra headers. */
  ip(options?: { local?: string; host?: string; headers?: Record<string, string> }): Promise<ApiResponse<TestEnvelope>>;
}

async function served(env: Record<string, string>): Promise<Served> {
  const t = await createTestApp({ env, extend: echoIp });
  const server = await serveApp(t.app);
  return {
    t,
    server,
    ip: ({ local, host, headers } = {}) => apiClient(fetchFrom(local))('GET', `${server.url(host)}/v1/test/ip`, headers ? { headers } : {}),
  };
}

describe('client IP from the socket (no trusted proxies)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await served({});
  });
  afterAll(async () => {
    await s.server.close();
    await s.t.close();
  });

  it('reports an IPv4 peer on a dual-stack socket as IPv4, not ::ffff:127.0.0.1', async () => {
    const r = await s.ip();
    expect(r.status).toBe(200);
    expect(r.body.data.ip).toBe('127.0.0.1');
    expect((await s.ip({ local: '127.0.0.2' })).body.data.ip).toBe('127.0.0.2');
  });

  it('reports an IPv6 peer', async () => {
    expect((await s.ip({ host: '[::1]' })).body.data.ip).toBe('::1');
  });

  it('ignores X-Forwarded-For and X-Real-IP, even malformed ones', async () => {
    expect((await s.ip({ headers: { 'x-forwarded-for': '203.0.113.5' } })).body.data.ip).toBe('127.0.0.1');
    expect((await s.ip({ headers: { 'x-real-ip': '203.0.113.5' } })).body.data.ip).toBe('127.0.0.1');
    const junk = await s.ip({ headers: { 'x-forwarded-for': 'not-an-ip' } });
    expect(junk.status).toBe(200);
    expect(junk.body.data.ip).toBe('127.0.0.1');
  });
});

describe('client IP behind trusted proxies (TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await served({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' });
  });
  afterAll(async () => {
    await s.server.close();
    await s.t.close();
  });

  const via = (headers: Record<string, string>, local?: string) => s.ip({ headers, ...(local ? { local } : {}) });

  it('takes the forwarded address when the peer is a trusted proxy', async () => {
    expect((await via({ 'x-forwarded-for': '203.0.113.5' })).body.data.ip).toBe('203.0.113.5');
  });

  it('ignores forwarded headers from a peer that is not trusted', async () => {
    expect((await via({ 'x-forwarded-for': '203.0.113.5' }, '127.0.0.2')).body.data.ip).toBe('127.0.0.2');
    expect((await via({ 'x-forwarded-for': 'garbage' }, '127.0.0.2')).status).toBe(200);
    expect((await s.ip({ host: '[::1]', headers: { 'x-forwarded-for': '203.0.113.5' } })).body.data.ip).toBe('::1');
  });

  it('takes the right-most untrusted hop: addresses a client wrote further left are not believed', async () => {
    const r = await via({ 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.1.2.3' });
    expect(r.body.data.ip).toBe('198.51.100.4');
    // Garbage left of the client hop is never read, so it cannot fail the request.
    expect((await via({ 'x-forwarded-for': 'spoofed-by-client, 198.51.100.4' })).body.data.ip).toBe('198.51.100.4');
  });

  it('takes the left-most hop when every hop is a trusted proxy', async () => {
    expect((await via({ 'x-forwarded-for': '10.0.0.1, 10.0.0.2' })).body.data.ip).toBe('10.0.0.1');
  });

  it('normalises IPv6, IPv4-mapped IPv6 and hops written with ports', async () => {
    expect((await via({ 'x-forwarded-for': '::ffff:203.0.113.77' })).body.data.ip).toBe('203.0.113.77');
    expect((await via({ 'x-forwarded-for': '2001:DB8:0:0::1' })).body.data.ip).toBe('2001:db8::1');
    expect((await via({ 'x-forwarded-for': '[2001:db8::5]:443' })).body.data.ip).toBe('2001:db8::5');
    expect((await via({ 'x-forwarded-for': '203.0.113.8:51234' })).body.data.ip).toBe('203.0.113.8');
  });

  it('uses X-Real-IP when there is no X-Forwarded-For', async () => {
    expect((await via({ 'x-real-ip': '192.0.2.1' })).body.data.ip).toBe('192.0.2.1');
    expect((await via({ 'x-real-ip': '192.0.2.1', 'x-forwarded-for': '192.0.2.2' })).body.data.ip).toBe('192.0.2.2');
  });

  it('answers 400 general:invalid_ip_address for a malformed hop it has to read', async () => {
    for (const [header, value] of [
      ['x-forwarded-for', 'not-an-ip'],
      ['x-forwarded-for', '198.51.100.4, 999.1.1.1'],
      ['x-forwarded-for', '198.51.100.4,,10.0.0.1'],
      ['x-real-ip', '1.2.3'],
    ] as const) {
      const r = await via({ [header]: value });
      expect(r.status, `${header}: ${value}`).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'general:invalid_ip_address', type: 'VALIDATION_ERROR' });
      expect(r.body.error?.details?.[0]?.field).toBe(header === 'x-real-ip' ? 'X-Real-IP' : 'X-Forwarded-For');
      // Refused before any route ran, it is still a request of its own: id in the envelope.
      expect(r.body.error?.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    }
  });
});

describe('client IP in-process (app.fetch, no socket)', () => {
  it('is the documented loopback placeholder, and forwarded headers count only if loopback is trusted', async () => {
    const plain = await createTestApp({ extend: echoIp });
    const trusting = await createTestApp({ env: { TRUSTED_PROXIES: 'loopback' }, extend: echoIp });
    try {
      expect((await plain.call('GET', '/v1/test/ip')).body.data.ip).toBe('127.0.0.1');
      expect((await plain.call('GET', '/v1/test/ip', { headers: { 'x-forwarded-for': '203.0.113.1' } })).body.data.ip).toBe('127.0.0.1');
      expect((await trusting.call('GET', '/v1/test/ip', { headers: { 'x-forwarded-for': '203.0.113.1' } })).body.data.ip).toBe('203.0.113.1');
    } finally {
      await plain.close();
      await trusting.close();
    }
  });
});
