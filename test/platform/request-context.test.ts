import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../src/app/listen.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Served on a real socket, as `basalt serve` does: the request id, header reads and the
// client address then come from Node's own objects (src/http/request-context.ts,
// node-request.ts), not from the portable path in-process tests take.
describe('every request over a real socket: id, headers, access log, metrics', () => {
  let t: TestApp;
  let server: ServerType;
  let url: string;
  // `listen` gives Node its own response class (RequestIdResponse); a server built elsewhere
  // takes the per-response path. Both must tag every response once.
  let listening: Listening;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    t = await createTestApp({ logger, env: { RATE_LIMIT_ENABLED: 'false' } });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    listening = await listen({ fetch: t.app.fetch, port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1000, onClosed: async () => {} });
  });
  afterAll(async () => {
    await listening.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  const accessLine = (reqId: string) => lines.find((l) => l.reqId === reqId && l.msg === 'request');

  it('gives each request an id in X-Request-Id and one access-log line carrying it', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(accessLine(id)).toMatchObject({ level: 30, method: 'GET', path: '/health', status: 200, durationMs: expect.any(Number) });

    const kept = await fetch(`${url}/health`, { headers: { 'X-Request-Id': 'proxy-id-12345' } });
    expect(kept.headers.get('x-request-id')).toBe('proxy-id-12345');
    expect(accessLine('proxy-id-12345')).toBeDefined();
  });

  it('puts exactly one X-Request-Id on every kind of response: JSON, text, HTML, redirects, errors', async () => {
    for (const base of [url, listening.url]) {
      for (const path of ['/health', '/metrics', '/openapi.json', '/docs', '/', '/v1/no/such/route', '/v1/me']) {
        const raw = await new Promise<string[]>((resolve, reject) => {
          get(`${base}${path}`, (res) => {
            res.resume();
            res.on('end', () => resolve(res.rawHeaders));
          }).on('error', reject);
        });
        const ids = raw.filter((_, i) => i % 2 === 0 && raw[i]?.toLowerCase() === 'x-request-id').length;
        expect(ids, `${base}${path}`).toBe(1);
      }
    }
    const kept = await fetch(`${listening.url}/health`, { headers: { 'X-Request-Id': 'proxy-id-67890' } });
    expect(kept.headers.get('x-request-id')).toBe('proxy-id-67890');
  });

  it('logs refused requests with their status', async () => {
    const res = await fetch(`${url}/v1/no/such/route`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { requestId: string } };
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(accessLine(body.error.requestId)).toMatchObject({ level: 30, status: 404 });
  });

  it('reads JSON bodies, bearer tokens and path parameters through Node’s parsed headers', async () => {
    const who = { email: 'socket.user@example.test', handle: 'socket_user', password: 'a-Long-enough-passphrase-42' };
    const json = { 'Content-Type': 'application/json; charset=utf-8' };
    const registered = await fetch(`${url}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(who) });
    expect(registered.status).toBe(201);
    const login = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ login: who.handle, password: who.password }) });
    expect(login.status).toBe(200);
    const { data } = (await login.json()) as { data: { accessToken: string } };
    const me = await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${data.accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { data: { handle: string } }).data.handle).toBe(who.handle);
    const profile = await fetch(`${url}/v1/users/${who.handle}`);
    expect(profile.status).toBe(200);
    // A body the validator must not take for JSON.
    const wrongType = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ login: who.handle, password: who.password }) });
    expect(wrongType.status).toBe(400);
  });

  // Without an IP limit, authentication runs inside the request context (create-app.ts).
  it('refuses bad credentials on /v1 with an envelope, the request id and an access line; ignores them elsewhere', async () => {
    const presented: Record<string, string>[] = [{ Authorization: 'Bearer not.a.token' }, { 'X-API-Key': 'bsk_0123456789abcdefghijklmnopqrstuvwxyzABCDEF' }];
    for (const headers of presented) {
      const res = await fetch(`${url}/v1/users/nobody_here`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(['user:invalid_token', 'apikey:invalid']).toContain(body.error.code);
      expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
      expect(accessLine(body.error.requestId)).toMatchObject({ status: 401, path: '/v1/users/nobody_here' });
      expect((await fetch(`${url}/health`, { headers })).status).toBe(200);
    }
    expect((await fetch(`${url}/v1`, { headers: { 'X-API-Key': 'bsk_0123456789abcdefghijklmnopqrstuvwxyzABCDEF' } })).status).toBe(401);
  });

  it('counts requests by method, route pattern and status', async () => {
    await fetch(`${url}/health`);
    const text = await (await fetch(`${url}/metrics`)).text();
    const count = Number(/basalt_http_requests_total\{method="GET",route="\/health",status="200"\} (\d+)/.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/basalt_http_requests_total\{method="GET",route="\/v1\/users\/:handle",status="200"\} 1/);
  });
});
