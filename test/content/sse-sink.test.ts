import { connect, type AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/env.ts';
import { openSseSink } from '../../src/modules/events/sse-sink.ts';

const FRAME = Buffer.from(`data: ${'x'.repeat(64 * 1024)}\n\n`);
const FRAMES = 400;

/** A server whose one route streams FRAMES big frames, one per macrotask, to whoever asks. */
async function flood(maxQueued: number) {
  const outcome = { sent: 0, closedAfter: -1 };
  const app = new Hono<AppEnv>();
  app.get('/sse', (c) => {
    const sink = openSseSink(c, { heartbeatMs: 60_000, maxQueued });
    let closed = false;
    sink.onClose(() => {
      closed = true;
      outcome.closedAfter = outcome.sent;
    });
    const next = () => {
      if (closed || outcome.sent === FRAMES) return sink.end();
      outcome.sent += 1;
      sink.send(FRAME);
      setImmediate(next);
    };
    setImmediate(next);
    return sink.start(Buffer.from('event: ready\ndata: {}\n\n'));
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { outcome, server, port: (server.address() as AddressInfo).port };
}

let server: ServerType | undefined;
afterEach(async () => {
  (server as unknown as { closeAllConnections?(): void } | undefined)?.closeAllConnections?.();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe('SSE sink on a Node response: backpressure', () => {
  it('cuts off a client that stops reading once maxQueued frames wait, instead of buffering without bound', async () => {
    const f = await flood(5);
    server = f.server;
    const socket = connect(f.port, '127.0.0.1');
    socket.write('GET /sse HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    const deadline = Date.now() + 10_000;
    while (f.outcome.closedAfter < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(f.outcome.closedAfter).toBeGreaterThan(0);
    expect(f.outcome.closedAfter).toBeLessThan(FRAMES);
    socket.destroy();
  });

  it('streams every frame to a client that keeps reading', async () => {
    const f = await flood(5);
    server = f.server;
    const res = await fetch(`http://127.0.0.1:${f.port}/sse`);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await res.text();
    expect(text.startsWith('event: ready\n')).toBe(true);
    expect(text.length).toBe(23 + FRAMES * FRAME.length);
    expect(f.outcome.sent).toBe(FRAMES);
  });
});
