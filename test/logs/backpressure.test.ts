import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';

describe.each(stacks())('log ingest limits ($name)', (stack) => {
  const apps: LogsApp[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await startLogsApp({ stack, env });
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  it('answers 503 logs:queue_full with Retry-After once the queue is over its bound, and keeps every entry it accepted', async () => {
    // No writer drains the queue here, so it only fills.
    const app = await start({ LOG_WRITER: 'off', LOG_QUEUE_MAX_BYTES: '300000' });
    const batch = { entries: Array.from({ length: 20 }, () => entry({ message: 'f'.repeat(5_000) })) };
    let accepted = 0;
    let refused: Awaited<ReturnType<LogsApp['ingest']>> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await app.ingest(batch);
      if (res.status === 202) accepted += res.body.data.accepted as number;
      else refused = res;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused?.status).toBe(503);
    expect(refused?.body.error).toMatchObject({ code: 'logs:queue_full', type: 'SERVICE_UNAVAILABLE' });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const queued = await app.container.logs.queue.stats();
    expect(queued.batches * 20).toBe(accepted);
    expect(queued.bytes).toBeLessThanOrEqual(300_000);
  });

  it('answers 503 logs:queue_unavailable when the queue cannot take a batch', async () => {
    const app = await start({});
    await app.container.logs.queue.close();
    const res = await app.ingest(entry());
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'logs:queue_unavailable', type: 'SERVICE_UNAVAILABLE' });
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('limits ingest per key and per project, with X-RateLimit headers and Retry-After on 429', async () => {
    // Counting is what is tested here, not the fallback: on a loaded machine a Redis answer can
    // take longer than the default 500 ms, and the rule would then let the request through
    // without headers (fail open). No writer either: nothing here needs the entries stored.
    const app = await start({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_TIMEOUT_MS: '10000',
      LOG_WRITER: 'off',
      RATE_LIMIT_LOG_INGEST_KEY: '2/1m',
      RATE_LIMIT_LOG_INGEST_PROJECT: '3/1m',
      RATE_LIMIT_REGISTER_IP: '100/1m',
      RATE_LIMIT_LOGIN_IP: '100/1m',
    });
    const second = await app.newKey(app.project.id, ['logs:write']);
    const first = await app.ingest(entry());
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect((await app.ingest(entry())).status).toBe(202);
    const overKey = await app.ingest(entry());
    expect(overKey.status).toBe(429);
    expect(overKey.body.error).toMatchObject({ code: 'rate_limit:exceeded', type: 'RATE_LIMITED' });
    expect(Number(overKey.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key of the same project has its own budget, but the project's is shared.
    expect((await app.ingest(entry(), { key: second })).status).toBe(202);
    const overProject = await app.ingest(entry(), { key: second });
    expect(overProject.status).toBe(429);
    expect(overProject.body.error?.code).toBe('rate_limit:exceeded');
    expect(overProject.headers.get('x-ratelimit-limit')).toBe('3');
    // A key of another project is not held back by this one.
    const other = await app.newProject(['logs:write']);
    expect((await app.ingest(entry(), { key: other.key })).status).toBe(202);
  });
});
