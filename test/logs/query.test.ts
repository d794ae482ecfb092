import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, login, stacks } from '../accounts/harness.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';

type Entry = { id: string; message: string; level: string; timestamp: string; service: string | null; traceId: string | null; attributes: Record<string, unknown> | null };

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const min = (n: number) => T0 + n * 60_000;

// Arrival order differs from timestamp order on purpose: results go by timestamp.
const SEED = [
  { timestamp: min(5), level: 'info', message: 'user signed in from Paris', service: 'auth', attributes: { user: 'u1', http: { status: 200 } } },
  { timestamp: min(1), level: 'error', message: 'database timeout after 5000 ms', service: 'api', traceId: 't-1', attributes: { retry: true, http: { status: 503 } } },
  { timestamp: min(3), level: 'warn', message: 'slow query on orders table', service: 'api', traceId: 't-1', attributes: { ms: 1200 } },
  { timestamp: min(2), level: 'debug', message: 'cache miss for key orders:42', service: 'worker' },
  { timestamp: min(4), level: 'fatal', message: 'worker crashed: timeout waiting for lock', service: 'worker', traceId: 't-2', attributes: { http: { status: 500 } } },
  { timestamp: min(6), level: 'trace', message: 'heartbeat', service: 'worker' },
  { timestamp: min(0), level: 'info', message: 'Café opened, naïve résumé parsed', service: 'web', attributes: { user: 'u2' } },
];

describe.each(stacks())('log queries ($name)', (stack) => {
  let app: LogsApp;
  beforeAll(async () => {
    app = await startLogsApp({ stack, env: { LOG_HOT_CACHE_ENTRIES: '5' } });
    const res = await app.ingest({ entries: SEED });
    expect(res.body.data).toEqual({ accepted: SEED.length, rejected: [] });
    await app.drained();
  });
  afterAll(() => app?.close());

  const list = async (params: Record<string, string | number>) => {
    const res = await app.query(params);
    expect(res.status, res.text).toBe(200);
    return (res.body.data as Entry[]).map((e) => e.message);
  };
  const m = (i: number) => SEED[i]?.message;

  const filters: Array<[string, Record<string, string | number>, Array<string | undefined>]> = [
    ['everything, newest timestamp first', {}, [m(5), m(0), m(4), m(2), m(3), m(1), m(6)]],
    ['from (inclusive) and to (exclusive)', { from: new Date(min(2)).toISOString(), to: String(min(5)) }, [m(4), m(2), m(3)]],
    ['a minimum level', { level: 'warn' }, [m(4), m(2), m(1)]],
    ['a list of levels', { level: 'trace,error' }, [m(5), m(1)]],
    ['a word', { q: 'timeout' }, [m(4), m(1)]],
    ['two words (both required)', { q: 'timeout worker' }, [m(4)]],
    ['a prefix', { q: 'ord*' }, [m(2), m(3)]],
    ['words in any case, with accents', { q: 'CAFÉ résumé' }, [m(6)]],
    ['a service', { service: 'worker' }, [m(5), m(4), m(3)]],
    ['a trace id', { traceId: 't-1' }, [m(2), m(1)]],
    ['a string attribute', { 'attr.user': 'u1' }, [m(0)]],
    ['a nested number attribute', { 'attr.http.status': '503' }, [m(1)]],
    ['a boolean attribute', { 'attr.retry': 'true' }, [m(1)]],
    ['a number attribute', { 'attr.ms': 1200 }, [m(2)]],
    ['filters together', { q: 'timeout', level: 'fatal', service: 'worker', 'attr.http.status': 500 }, [m(4)]],
    ['nothing matching', { q: 'nowhere' }, []],
  ];
  it.each(filters)('filters by %s', async (_name, params, expected) => {
    expect(await list(params)).toEqual(expected);
  });

  it('returns each entry in full', async () => {
    const res = await app.query({ traceId: 't-2' });
    expect(res.body.data).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        timestamp: new Date(min(4)).toISOString(),
        level: 'fatal',
        message: m(4),
        service: 'worker',
        traceId: 't-2',
        attributes: { http: { status: 500 } },
        receivedAt: expect.any(String),
      },
    ]);
  });

  it('pages with an opaque cursor, and pages stay put while ingest continues', async () => {
    const seen: string[] = [];
    const first = await app.query({ limit: 3 });
    seen.push(...first.body.data.map((e: Entry) => e.message));
    expect(first.body.meta.nextCursor).toEqual(expect.any(String));
    // New entries, newest of all by timestamp, arrive between pages: they are not in this walk.
    await app.ingest({ entries: [entry({ timestamp: min(10), message: 'late arrival one' }), entry({ timestamp: min(3), message: 'late arrival two' })] });
    await app.drained();
    let cursor = first.body.meta.nextCursor as string | null;
    while (cursor) {
      const page = await app.query({ limit: 3, cursor });
      seen.push(...page.body.data.map((e: Entry) => e.message));
      cursor = page.body.meta.nextCursor ?? null;
    }
    expect(seen).toEqual([m(5), m(0), m(4), m(2), m(3), m(1), m(6)]);
    expect((await list({ q: 'late arrival' })).sort()).toEqual(['late arrival one', 'late arrival two']);
  });

  it('reads the hot cache with source=kv: the newest entries only, with the same filters', async () => {
    // The cache keeps the newest 5 arrivals here.
    const marker = `hot${Date.now()}`;
    const fresh = Array.from({ length: 6 }, (_, i) => entry({ message: `${marker} ${i}`, level: i % 2 ? 'error' : 'info', timestamp: min(20 + i) }));
    await app.ingest({ entries: fresh });
    await app.drained();
    expect(await list({ source: 'kv', q: marker })).toEqual([5, 4, 3, 2, 1].map((i) => `${marker} ${i}`));
    expect(await list({ source: 'kv', q: marker, level: 'error' })).toEqual([5, 3, 1].map((i) => `${marker} ${i}`));
    const page = await app.query({ source: 'kv', q: marker, limit: 2 });
    expect(page.body.data.map((e: Entry) => e.message)).toEqual([`${marker} 5`, `${marker} 4`]);
    const next = await app.query({ source: 'kv', q: marker, limit: 2, cursor: page.body.meta.nextCursor as string });
    expect(next.body.data.map((e: Entry) => e.message)).toEqual([`${marker} 3`, `${marker} 2`]);
    expect(await list({ source: 'd1', q: marker })).toHaveLength(6);
  });

  const refusals: Array<[string, Record<string, string | number>, string, string?]> = [
    ['an unknown source', { source: 'elastic' }, 'logs:invalid_source'],
    ['an unknown level', { level: 'loud' }, 'general:validation_error', 'level'],
    ['a bad time', { from: 'last tuesday' }, 'general:validation_error', 'from'],
    ['to before from', { from: min(5), to: min(1) }, 'general:validation_error', 'to'],
    ['a query with no words', { q: '!!!' }, 'general:validation_error', 'q'],
    ['a forged cursor', { cursor: 'bm90LWEtY3Vyc29y' }, 'general:validation_error', 'cursor'],
    ['a limit over 1,000', { limit: 5000 }, 'general:validation_error', 'limit'],
    ['a malformed attribute path', { 'attr.a$b': 'x' }, 'general:validation_error', 'attr.a$b'],
  ];
  it.each(refusals)('refuses %s with 400', async (_name, params, code, field) => {
    const res = await app.query(params);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    if (code === 'logs:invalid_source') expect(res.body.error).toMatchObject({ type: 'INVALID_SOURCE', message: 'Invalid source: must be "d1" or "kv"' });
    if (field) expect(res.body.error?.details?.map((d) => d.field)).toContain(field);
  });

  it('lets members read with their session, and keys only of this project with logs:read', async () => {
    expect((await app.query({}, { token: app.owner.accessToken })).status).toBe(200);
    const stranger = await register(app.call);
    const strangerSession = await login(app.call, stranger);
    const other = await app.newProject();
    const writeOnly = await app.newKey(app.project.id, ['logs:write']);
    const cases: Array<[string, Awaited<ReturnType<LogsApp['query']>>, number, string]> = [
      ['a non-member', await app.query({}, { token: strangerSession.accessToken }), 404, 'project:not_found'],
      ['another project’s key', await app.query({}, { key: other.key }), 404, 'project:not_found'],
      ['a key without logs:read', await app.query({}, { key: writeOnly }), 403, 'apikey:scope_insufficient'],
      ['nobody', await app.call('GET', `/v1/projects/${app.project.id}/logs`), 401, 'user:unauthorized'],
      ['a project that does not exist', await app.query({}, { token: app.owner.accessToken, projectId: 'prj_nope' }), 404, 'project:not_found'],
    ];
    for (const [who, res, status, code] of cases) {
      expect({ who, status: res.status, code: res.body.error?.code }).toEqual({ who, status, code });
    }
  });
});
