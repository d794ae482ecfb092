import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLogQueue } from '../../src/adapters/log-queue/nats-log-queue.ts';
import { buildContainer, type Container } from '../../src/app/container.ts';
import { createApp } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { sql } from 'kysely';
import { login, register, stacks } from '../accounts/harness.ts';
import { runId, serviceUrl, tempDir } from '../helpers/backends.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';
import { openSse } from './sse.ts';

const tailPath = (app: LogsApp, params: Record<string, string> = {}) => {
  const qs = new URLSearchParams(params).toString();
  return `http://basalt.test/v1/projects/${app.project.id}/logs/tail${qs ? `?${qs}` : ''}`;
};

describe.each(stacks())('live tail ($name)', (stack) => {
  let app: LogsApp;
  const tail = (params: Record<string, string> = {}, headers: Record<string, string> = {}) => openSse((r) => app.app.fetch(r), tailPath(app, params), { 'x-api-key': app.key, ...headers });
  beforeAll(async () => {
    app = await startLogsApp({ stack, env: { LOG_TAIL_HEARTBEAT_SECONDS: '1' } });
  });
  afterAll(() => app?.close());

  it('pushes new entries that match its filters, one event per entry, with the log id as event id', async () => {
    const marker = `tail${Date.now()}`;
    const s = await tail({ level: 'warn', q: marker });
    expect(s.status).toBe(200);
    expect(s.contentType).toContain('text/event-stream');
    await app.ingest({ entries: [entry({ message: `${marker} quiet` }), entry({ level: 'error', message: `${marker} loud` }), entry({ level: 'warn', message: 'other words' })] });
    await app.ingest(entry({ level: 'fatal', message: `${marker} louder`, attributes: { n: 1 } }));
    const events = await s.waitFor(2);
    expect(s.events[0]?.event).toBe('ready');
    expect(events.map((e) => e.event)).toEqual(['log', 'log']);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data.map((d) => d.message)).toEqual([`${marker} loud`, `${marker} louder`]);
    expect(data[1]).toMatchObject({ level: 'fatal', attributes: { n: 1 } });
    expect(events.map((e) => e.id)).toEqual(data.map((d) => d.id));
    // What the tail pushed is what the store has (searchable once indexed: SQLite indexes
    // full text just after storing, and the tail pushes as soon as the rows are stored).
    await app.drained();
    const stored = await app.query({ q: marker, level: 'warn' });
    expect(stored.body.data.map((d: { id: string }) => d.id).sort()).toEqual(data.map((d) => d.id).sort());
    expect(await s.settle(300)).toHaveLength(2);
    s.close();
  });

  it('sends heartbeats while idle', async () => {
    const s = await tail({ q: 'never-matches-anything' });
    await s.settle(1_500);
    expect(s.comments).toContain('heartbeat');
    s.close();
  });

  it('resumes after Last-Event-ID: replays what was stored since, then goes on live, nothing twice', async () => {
    const marker = `resume${Date.now()}`;
    const first = await tail({ q: marker });
    await app.ingest({ entries: [entry({ message: `${marker} 1` }), entry({ message: `${marker} 2` })] });
    const seen = await first.waitFor(2);
    first.close();
    const lastId = seen[1]?.id as string;
    await app.ingest({ entries: [entry({ message: `${marker} 3` }), entry({ message: `${marker} 4`, level: 'debug' })] });
    await app.drained();
    const again = await tail({ q: marker }, { 'last-event-id': lastId });
    await app.ingest(entry({ message: `${marker} 5` }));
    const resumed = await again.waitFor(3);
    expect(resumed.map((e) => JSON.parse(e.data).message)).toEqual([`${marker} 3`, `${marker} 4`, `${marker} 5`]);
    expect(await again.settle(300)).toHaveLength(3);
    again.close();
  });

  it('lets members and logs:read keys tail, no one else', async () => {
    const member = await openSse((r) => app.app.fetch(r), tailPath(app), { authorization: `Bearer ${app.owner.accessToken}` });
    expect(member.status).toBe(200);
    member.close();
    const stranger = await login(app.call, await register(app.call));
    const writeOnly = await app.newKey(app.project.id, ['logs:write']);
    const path = `/v1/projects/${app.project.id}/logs/tail`;
    const cases: Array<[string, Awaited<ReturnType<LogsApp['query']>>, number, string]> = [
      ['a non-member', await app.call('GET', path, { token: stranger.accessToken }), 404, 'project:not_found'],
      ['a key without logs:read', await app.call('GET', path, { headers: { 'x-api-key': writeOnly } }), 403, 'apikey:scope_insufficient'],
      ['nobody', await app.call('GET', path), 401, 'user:unauthorized'],
      ['a bad Last-Event-ID', await app.call('GET', path, { headers: { 'x-api-key': app.key, 'last-event-id': 'abc' } }), 400, 'general:validation_error'],
      ['a bad filter', await app.call('GET', `${path}?level=loud`, { headers: { 'x-api-key': app.key } }), 400, 'general:validation_error'],
    ];
    for (const [who, res, status, code] of cases) expect({ who, status: res.status, code: res.body.error?.code }).toEqual({ who, status, code });
  });
});

describe.each(stacks())('live tail access over time ($name)', (stack) => {
  let app: LogsApp;
  beforeAll(async () => {
    app = await startLogsApp({ stack, env: { LOG_TAIL_RECHECK_SECONDS: '1', ACCESS_TOKEN_TTL_SECONDS: '3' } });
  });
  afterAll(() => app?.close());

  it('ends the stream when its key is revoked, or when the access token that opened it expires', async () => {
    const admin = await login(app.call, app.owner);
    const created = await app.call('POST', `/v1/projects/${app.project.id}/keys`, { token: admin.accessToken, json: { name: 'revoked soon', scopes: ['logs:read'] } });
    const byKey = await openSse((r) => app.app.fetch(r), tailPath(app), { 'x-api-key': created.body.data.secret });
    const bySession = await openSse((r) => app.app.fetch(r), tailPath(app), { authorization: `Bearer ${admin.accessToken}` });
    expect([byKey.status, bySession.status]).toEqual([200, 200]);
    expect((await app.call('DELETE', `/v1/projects/${app.project.id}/keys/${created.body.data.id}`, { token: admin.accessToken })).status).toBe(200);
    await Promise.all([byKey.settle(4_500), bySession.settle(4_500)]);
    expect(byKey.events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ reason: 'access_revoked' }) });
    expect(bySession.events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ reason: 'credentials_expired' }) });
  });
});

const nats = serviceUrl('NATS_URL');
const scaleOut = stacks().find((s) => s.sql === 'postgres');

describe.skipIf(!nats || !scaleOut)('live tail across instances (NATS)', () => {
  let app: LogsApp;
  let other: { container: Container; fetch: (r: Request) => Response | Promise<Response>; close(): Promise<void> };
  const stream = runId('logs');
  beforeAll(async () => {
    app = await startLogsApp({ ...(scaleOut ? { stack: scaleOut } : {}), env: { NATS_URL: nats as string, LOG_QUEUE_STREAM: stream } });
    // A second instance on the same PostgreSQL schema, Redis prefix and NATS stream.
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(app.container.sql.db)).rows[0]?.s as string;
    const { config } = app.container;
    const dir = tempDir();
    const container = await buildContainer(
      loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: dir.path,
        DATABASE_URL: config.DATABASE_URL as string,
        REDIS_URL: config.REDIS_URL as string,
        KV_PREFIX: config.KV_PREFIX,
        NATS_URL: nats as string,
        LOG_QUEUE_STREAM: stream,
        JWT_SECRET: 'x'.repeat(40),
      }),
      { logger: pino({ level: 'silent' }), sqlSchema: schema },
    );
    const b = createApp(container);
    other = {
      container,
      fetch: (r) => b.fetch(r),
      close: async () => {
        await container.close();
        dir.remove();
      },
    };
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
    const q = await NatsLogQueue.connect({ url: nats as string, stream, minSeq: 1, maxBytes: 1 << 20 });
    await q.deleteStream();
    await q.close();
  });

  it('pushes entries ingested on one instance to a tail on another', async () => {
    const marker = `across${Date.now()}`;
    const s = await openSse(other.fetch, tailPath(app, { q: marker }), { 'x-api-key': app.key });
    expect(s.status).toBe(200);
    await app.ingest({ entries: [entry({ message: `${marker} a` }), entry({ message: `${marker} b` })] });
    const events = await s.waitFor(2);
    expect(events.map((e) => JSON.parse(e.data).message)).toEqual([`${marker} a`, `${marker} b`]);
    s.close();
  });
});
