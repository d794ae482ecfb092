import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import pino from 'pino';
import type { AppEnv } from '../../src/http/env.ts';

/**
 * A fetch over node:http that can pick the local address it connects from, so a real
 * server sees different peers (127.0.0.1, 127.0.0.2, ::1 are all loopback on Linux).
 */
export function fetchFrom(localAddress?: string): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const r = httpRequest(
        {
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers,
          ...(localAddress ? { localAddress } : {}),
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: h }));
          });
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  };
}

export interface ServedApp {
  port: number;
  /** Base URL for a host the server listens on, e.g. '127.0.0.1' or '[::1]'. */
  url(host?: string): string;
  close(): Promise<void>;
}

/** Serves an app on a real socket, dual-stack (`::`), on a free port. */
export async function serveApp(app: OpenAPIHono<AppEnv>): Promise<ServedApp> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '::' }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (host = '127.0.0.1') => `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CapturedLog {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger whose lines land in `lines` (parsed), for asserting what was logged. */
export function captureLogger(): { logger: pino.Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as CapturedLog);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export const WARN = 40;
export const ERROR = 50;
