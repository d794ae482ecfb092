import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { MetricsRegistry } from '../lib/metrics.ts';
import type { AppEnv } from './env.ts';
import { requestContext } from './request-context.ts';

describe('requestContext handles the requests that arrive together in one batch, a loop turn later', () => {
  function app() {
    const seen = { arrived: 0, atHandler: [] as number[] };
    const a = new Hono<AppEnv>();
    a.use('*', async (_c, next) => {
      seen.arrived++;
      await next();
    });
    a.use('*', requestContext({ logger: createLogger({ level: 'silent', format: 'json' }), metrics: new MetricsRegistry(), clientIp: () => {}, onError: (err, c) => c.text(String(err), 500) }));
    a.get('/hello', (c) => {
      seen.atHandler.push(seen.arrived);
      return c.json({ id: c.get('requestId') });
    });
    return { a, seen };
  }

  it('no handler runs before every request of the same turn has come in; each still gets its own answer', async () => {
    const { a, seen } = app();
    const responses = [a.request('/hello'), a.request('/hello'), a.request('/hello')];
    // Without the turn's wait, the first handler ran inside the first call, having seen 1 arrival.
    expect(seen.atHandler).toEqual([]);
    const bodies = await Promise.all(responses.map(async (r) => (await (await r).json()) as { id: string }));
    expect(seen.atHandler).toEqual([3, 3, 3]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(3);
  });

  it('a request alone is answered on the next turn', async () => {
    const { a, seen } = app();
    const res = await a.request('/hello');
    expect(res.status).toBe(200);
    expect(seen.atHandler).toEqual([1]);
  });
});
