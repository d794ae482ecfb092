import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../src/app/container.ts';
import { createTestApp, sqlBackends, type TestApp } from '../helpers/test-app.ts';
import { apiClient, type ApiCall, type CallOptions } from '../helpers/http.ts';
import { faultRoutes } from './fault-routes.ts';

interface Scenario {
  name: string;
  method: string;
  path: string;
  options?: CallOptions;
  status: number;
  code?: string;
  type?: string;
  details?: Array<{ field: string; issue?: string }>;
}

const json = (value: unknown) => ({ json: value });
const raw = (body: string, type = 'application/json') => ({ body, headers: { 'content-type': type } });

/** PocketBase-style table: each row is one request and the envelope it must produce. */
const scenarios: Scenario[] = [
  { name: 'health answers in the success envelope', method: 'GET', path: '/health', status: 200 },
  { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', status: 404, code: 'system:not_found', type: 'NOT_FOUND' },
  { name: 'wrong method on a known path', method: 'DELETE', path: '/health', status: 404, code: 'system:not_found' },
  { name: 'malformed JSON', method: 'POST', path: '/v1/__test/echo', options: raw('{"name": "abc",'), status: 400, code: 'general:bad_request', type: 'VALIDATION_ERROR' },
  { name: 'unsupported content type', method: 'POST', path: '/v1/__test/echo', options: raw('name=abc', 'application/x-www-form-urlencoded'), status: 400, code: 'general:bad_request', details: [{ field: 'Content-Type' }] },
  { name: 'body without a content type', method: 'POST', path: '/v1/__test/echo', options: { body: '{}' , headers: { 'content-type': '' } }, status: 400, code: 'general:bad_request' },
  {
    name: 'every failing field is listed',
    method: 'POST',
    path: '/v1/__test/echo',
    options: json({ name: 'ab', age: -1, email: 'not-an-email' }),
    status: 400,
    code: 'general:validation_error',
    type: 'VALIDATION_ERROR',
    details: [{ field: 'name' }, { field: 'age' }, { field: 'email' }],
  },
  { name: 'missing required fields', method: 'POST', path: '/v1/__test/echo', options: json({}), status: 400, code: 'general:validation_error', details: [{ field: 'name' }, { field: 'age' }, { field: 'email' }] },
  { name: 'query validation', method: 'POST', path: '/v1/__test/echo?n=abc', options: json({ name: 'abc', age: 1, email: 'a@b.co' }), status: 400, code: 'general:validation_error', details: [{ field: 'n' }] },
  { name: 'valid body echoes', method: 'POST', path: '/v1/__test/echo', options: json({ name: 'abc', age: 1, email: 'a@b.co' }), status: 200 },
  { name: 'JSON after a byte-order mark', method: 'POST', path: '/v1/__test/echo', options: raw(`\uFEFF${JSON.stringify({ name: 'abc', age: 1, email: 'a@b.co' })}`), status: 200 },
  { name: 'body over the limit (Content-Length)', method: 'POST', path: '/v1/__test/echo', options: raw(`{"name":"${'x'.repeat(5000)}"}`), status: 413, code: 'FILE_TOO_LARGE' },
  { name: 'unexpected exception', method: 'GET', path: '/__test/boom', status: 500, code: 'system:internal_error', type: 'INTERNAL_ERROR' },
  { name: 'failing statement', method: 'GET', path: '/__test/db', status: 500, code: 'system:database_error', type: 'INTERNAL_ERROR' },
  { name: 'failing transaction', method: 'GET', path: '/__test/tx', status: 500, code: 'system:transaction_error', type: 'INTERNAL_ERROR' },
];

/**
 * In-process (`app.fetch`, as most suites call it) and over a real socket (as `basalt serve`
 * answers): under @hono/node-server, headers and bodies are read from Node's own objects
 * (src/http/node-request.ts, node-body.ts), so the table runs on both.
 */
type Transport = 'in-process' | 'socket';
const TRANSPORTS: Transport[] = ['in-process', 'socket'];

async function served(t: TestApp): Promise<{ call: ApiCall; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    call: apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(sqlBackends().flatMap((b) => TRANSPORTS.map((tr) => [b, tr] as const)))('error contract (%s, %s)', (backend, transport) => {
  let t: TestApp;
  let call: ApiCall;
  let stopServing: (() => Promise<void>) | undefined;
  const logLines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    let container: Container | undefined;
    t = await createTestApp({
      sql: backend,
      env: { BODY_LIMIT_BYTES: '1024' },
      logger: pino({ level: 'info' }, sink),
      extend: faultRoutes(() => container as Container),
    });
    container = t.container;
    if (transport === 'socket') {
      const server = await served(t);
      call = server.call;
      stopServing = server.close;
    } else call = t.call;
  });
  afterAll(async () => {
    await stopServing?.();
    await t.close();
  });

  it.each(scenarios)('$name → $status', async (s) => {
    const res = await call(s.method, s.path, s.options);
    expect(res.status).toBe(s.status);
    const body = res.body;
    expect(typeof body.meta.timestamp).toBe('string');
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    if (s.status < 400) {
      expect(body).toMatchObject({ success: true, error: null });
      return;
    }
    expect(body).toMatchObject({ success: false, data: null });
    expect(body.error?.code).toBe(s.code);
    if (s.type) expect(body.error?.type).toBe(s.type);
    expect(body.error?.requestId).toBe(res.headers.get('x-request-id'));
    if (body.error?.type === 'VALIDATION_ERROR') expect(Array.isArray(body.error.details)).toBe(true);
    if (s.details) expect(body.error?.details).toEqual(s.details.map((d) => expect.objectContaining(d)));
    // Not development: no internals leak.
    expect(body.error?.cause).toBeUndefined();
    expect(body.error?.stack).toBeUndefined();
    expect(res.text).not.toContain('kaboom');
  });

  it('logs every request and the cause of a 500 with the request id', async () => {
    const res = await call('GET', '/__test/boom');
    const id = res.headers.get('x-request-id');
    const lines = logLines.filter((l) => l.reqId === id);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ method: 'GET', path: '/__test/boom', status: 500 });
    const failure = lines.find((l) => l.msg === 'request failed') as { err?: { message?: string }; code?: string } | undefined;
    expect(failure?.code).toBe('system:internal_error');
    expect(failure?.err?.message).toContain('kaboom');
  });
});

describe('request id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('keeps a valid incoming X-Request-Id', async () => {
    const res = await t.call('GET', '/v1/missing', { headers: { 'x-request-id': 'edge-7f3a9c21:abc' } });
    expect(res.headers.get('x-request-id')).toBe('edge-7f3a9c21:abc');
    expect(res.body.error?.requestId).toBe('edge-7f3a9c21:abc');
  });

  it.each(['bad id with spaces', 'x', 'a'.repeat(200), '<script>'])('replaces an invalid one (%s)', async (incoming) => {
    const res = await t.call('GET', '/health', { headers: { 'x-request-id': incoming } });
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });
});

/** Bytes the kernel may hold between a client and a server that has stopped reading (Linux's limits; 4 MiB + 128 KiB elsewhere). */
function socketBuffers(): number {
  const read = (name: string, field: number, fallback: number) => {
    try {
      return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[field]) || fallback;
    } catch {
      return fallback;
    }
  };
  return read('tcp_wmem', 2, 4 * 1024 * 1024) + read('tcp_rmem', 1, 128 * 1024);
}

describe.each(TRANSPORTS)('body limit on a chunked body (%s)', (transport) => {
  it('stops reading once the limit is passed', async () => {
    const t = await createTestApp({ env: { BODY_LIMIT_BYTES: '4096' }, extend: faultRoutes(() => t.container) });
    const server = transport === 'socket' ? await served(t) : undefined;
    try {
      let produced = 0;
      const chunk = new TextEncoder().encode(`"${'x'.repeat(1022)}",`);
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          produced += chunk.length;
          if (produced > 32 * 1024 * 1024) controller.close();
          else controller.enqueue(chunk);
        },
      });
      // fetch over a socket sends a stream chunked by itself (and refuses the header).
      const headers: Record<string, string> = server ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
      const res = await (server?.call ?? t.call)('POST', '/v1/__test/echo', { body: stream, headers });
      expect(res.status).toBe(413);
      expect(res.body.error?.code).toBe('FILE_TOO_LARGE');
      // Over a socket the kernel's buffers hold some more of what the client sent: the sender's
      // (autotuned up to tcp_wmem's maximum) and the receiver's (it stays near tcp_rmem's
      // default, since the server stops reading); plus a MiB for fetch's own buffering.
      expect(produced).toBeLessThan(transport === 'socket' ? socketBuffers() + 1024 * 1024 : 64 * 1024);
    } finally {
      await server?.close();
      await t.close();
    }
  });
});

describe('development mode', () => {
  it('shows the cause and stack of an internal error, only there', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'development' }, extend: faultRoutes(() => t.container) });
    try {
      const res = await t.call('GET', '/__test/boom');
      expect(res.status).toBe(500);
      expect(res.body.error?.cause).toContain('kaboom');
      expect(res.body.error?.stack).toContain('fault-routes');
      expect(res.body.error?.message).toBe('Internal server error');
    } finally {
      await t.close();
    }
  });
});
