import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';

describe.each(stacks())('log ingest ($name)', (stack) => {
  let app: LogsApp;
  beforeAll(async () => {
    app = await startLogsApp({ stack });
  });
  afterAll(() => app?.close());

  const messages = async (params: Record<string, string | number> = {}) => {
    await app.drained();
    const res = await app.query({ limit: 1000, ...params });
    expect(res.status, res.text).toBe(200);
    return res.body.data as Array<{ id: string; message: string; level: string; timestamp: string; service: string | null; traceId: string | null; attributes: unknown }>;
  };

  // Every accepted shape of body, each with a distinct marker to find its entries again.
  const shapes: Array<[string, (marker: string) => Promise<{ status: number; body: { data: unknown } }>, number]> = [
    ['one entry', (m) => app.ingest(entry({ message: `${m} single` })), 1],
    ['{entries: [...]}', (m) => app.ingest({ entries: [entry({ message: `${m} a` }), entry({ message: `${m} b` })] }), 2],
    ['a bare array', (m) => app.ingest([entry({ message: `${m} a` }), entry({ message: `${m} b` }), entry({ message: `${m} c` })]), 3],
    ['NDJSON', (m) => app.ingestNdjson([JSON.stringify(entry({ message: `${m} x` })), '', JSON.stringify(entry({ message: `${m} y` }))]), 2],
    ['NDJSON, gzip', (m) => app.ingestNdjson([JSON.stringify(entry({ message: `${m} x` })), JSON.stringify(entry({ message: `${m} y` }))], { gzip: true }), 2],
    [
      'JSON, gzip',
      (m) => app.call('POST', '/v1/logs', { body: gzipSync(JSON.stringify({ entries: [entry({ message: `${m} z` })] })), headers: { 'x-api-key': app.key, 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
      1,
    ],
  ];
  it.each(shapes)('accepts %s with 202 and stores every entry once', async (_name, send, count) => {
    const marker = `shape${Math.random().toString(36).slice(2, 10)}`;
    const res = await send(marker);
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual({ accepted: count, rejected: [] });
    const stored = await messages({ q: marker });
    expect(stored).toHaveLength(count);
    expect(new Set(stored.map((e) => e.id)).size).toBe(count);
  });

  it('stores every field, normalised, and reads timestamps in RFC 3339 and epoch ms / µs / ns', async () => {
    const marker = `fields${Date.now()}`;
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const res = await app.ingest({
      entries: [
        { timestamp: '2026-01-02T04:04:05.678+01:00', level: 'WARN', message: `${marker} rfc`, service: 'api', traceId: 'trace-1', attributes: { status: 503, ok: false, http: { path: '/x' } }, extra: 'ignored' },
        { timestamp: t, level: 'debug', message: `${marker} ms` },
        { timestamp: t * 1000 + 123, level: 'error', message: `${marker} us` },
        { timestamp: `${t}123456`, level: 'fatal', message: `${marker} ns` },
      ],
    });
    expect(res.body.data).toEqual({ accepted: 4, rejected: [] });
    const stored = await messages({ q: marker });
    const byKind = Object.fromEntries(stored.map((e) => [e.message.split(' ')[1], e]));
    for (const kind of ['rfc', 'ms', 'us', 'ns']) expect(byKind[kind]?.timestamp).toBe(new Date(t).toISOString());
    expect(byKind.rfc).toMatchObject({ level: 'warn', service: 'api', traceId: 'trace-1', attributes: { status: 503, ok: false, http: { path: '/x' } } });
    expect(byKind.ms).toMatchObject({ level: 'debug', service: null, traceId: null, attributes: null });
  });

  it('gives an entry without a timestamp its arrival time', async () => {
    const before = Date.now();
    const marker = `arrival${before}`;
    await app.ingest(entry({ message: marker }));
    const [stored] = await messages({ q: marker });
    const ts = Date.parse(stored?.timestamp ?? '');
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it('takes the valid entries and names each rejected one with its index and issue', async () => {
    const marker = `partial${Date.now()}`;
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
    const res = await app.ingest({
      entries: [
        entry({ message: `${marker} ok 1` }),
        entry({ level: 'loud' }),
        { level: 'info' },
        entry({ timestamp: 'yesterday' }),
        entry({ timestamp: 1712345678 }),
        entry({ attributes: deep }),
        entry({ attributes: many }),
        entry({ attributes: [1, 2] }),
        entry({ service: 'x'.repeat(129) }),
        'not an object',
        entry({ message: 'y'.repeat(70 * 1024) }),
        entry({ message: `${marker} ok 2` }),
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.data.accepted).toBe(2);
    expect(res.body.data.rejected).toEqual([
      { index: 1, issue: 'level: must be one of trace, debug, info, warn, error, fatal' },
      { index: 2, issue: 'message: required: a non-empty string' },
      { index: 3, issue: 'timestamp: must be an RFC 3339 date-time or epoch milliseconds / nanoseconds' },
      { index: 4, issue: 'timestamp: out of range (after 2000-01-01, at most a day ahead)' },
      { index: 5, issue: 'attributes: nested deeper than 5 levels' },
      { index: 6, issue: 'attributes: more than 100 keys' },
      { index: 7, issue: 'attributes: must be a JSON object' },
      { index: 8, issue: 'service: must be a string of 1–128 characters' },
      { index: 9, issue: 'must be a JSON object' },
      { index: 10, issue: 'larger than 64 KB' },
    ]);
    expect((await messages({ q: marker })).map((e) => e.message).sort()).toEqual([`${marker} ok 1`, `${marker} ok 2`]);
  });

  it('rejects NDJSON lines that are not JSON, one by one', async () => {
    const marker = `ndbad${Date.now()}`;
    const res = await app.ingestNdjson([JSON.stringify(entry({ message: marker })), '{nope', JSON.stringify(entry({ level: 'nope' }))]);
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual({ accepted: 1, rejected: [{ index: 1, issue: 'not valid JSON' }, { index: 2, issue: 'level: must be one of trace, debug, info, warn, error, fatal' }] });
  });

  // Refusals of the whole request: status, code, and what the details say.
  const refusals: Array<[string, () => Promise<{ status: number; body: { error: { code: string; details?: unknown } | null } }>, number, string, unknown?]> = [
    ['nothing valid', () => app.ingest({ entries: [{ level: 'info' }, entry({ level: 'x' })] }), 400, 'general:validation_error', [
      { field: 'entries[0].message', issue: 'required: a non-empty string' },
      { field: 'entries[1].level', issue: 'must be one of trace, debug, info, warn, error, fatal' },
    ]],
    ['no entries', () => app.ingest({ entries: [] }), 400, 'general:validation_error', [{ field: 'entries', issue: 'at least one entry is required' }]],
    ['malformed JSON', () => app.call('POST', '/v1/logs', { body: '{"level":', headers: { 'x-api-key': app.key, 'content-type': 'application/json' } }), 400, 'general:bad_request'],
    ['an unsupported content type', () => app.call('POST', '/v1/logs', { body: 'hello', headers: { 'x-api-key': app.key, 'content-type': 'text/plain' } }), 400, 'general:bad_request'],
    ['an unsupported encoding', () => app.call('POST', '/v1/logs', { body: 'x', headers: { 'x-api-key': app.key, 'content-type': 'application/json', 'content-encoding': 'br' } }), 400, 'general:bad_request'],
    ['gzip that is not gzip', () => app.call('POST', '/v1/logs', { body: 'not gzip', headers: { 'x-api-key': app.key, 'content-type': 'application/json', 'content-encoding': 'gzip' } }), 400, 'general:bad_request'],
    ['1,001 entries', () => app.ingest({ entries: Array.from({ length: 1001 }, () => entry()) }), 413, 'FILE_TOO_LARGE'],
    ['a body over 5 MB', () => app.ingest({ entries: Array.from({ length: 90 }, () => entry({ message: 'z'.repeat(60_000) })) }), 413, 'FILE_TOO_LARGE'],
    ['a chunked body over 5 MB', () => app.call('POST', '/v1/logs', { body: chunked(6 * 1024 * 1024), headers: { 'x-api-key': app.key, 'content-type': 'application/x-ndjson' } }), 413, 'FILE_TOO_LARGE'],
    [
      'gzip that inflates past 5 MB (a zip bomb)',
      () => app.call('POST', '/v1/logs', { body: gzipSync(' '.repeat(50 * 1024 * 1024)), headers: { 'x-api-key': app.key, 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
      413,
      'FILE_TOO_LARGE',
    ],
    ['no API key', () => app.call('POST', '/v1/logs', { json: entry() }), 401, 'apikey:required'],
    ['a session instead of a key', () => app.call('POST', '/v1/logs', { json: entry(), token: app.owner.accessToken }), 401, 'apikey:required'],
    ['an unknown key', () => app.ingest(entry(), { key: 'bsk_notarealkeyatall0000000000000000000000' }), 401, 'apikey:invalid'],
  ];
  it.each(refusals)('refuses %s', async (_name, send, status, code, details) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
    if (details !== undefined) expect(res.body.error?.details).toEqual(details);
  });

  it('refuses a key without logs:write with 403', async () => {
    const readOnly = await app.newKey(app.project.id, ['logs:read']);
    const res = await app.ingest(entry(), { key: readOnly });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('apikey:scope_insufficient');
  });

  it('files entries under the key’s own project only', async () => {
    const other = await app.newProject();
    const marker = `mine${Date.now()}`;
    expect((await app.ingest(entry({ message: marker }), { key: other.key })).status).toBe(202);
    expect(await messages({ q: marker })).toEqual([]);
    await app.drained();
    const theirs = await app.query({ q: marker }, { projectId: other.project.id, key: other.key });
    expect(theirs.body.data).toHaveLength(1);
  });
});

/** A request body streamed in chunks (no Content-Length). */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new TextEncoder().encode(`${JSON.stringify({ level: 'info', message: 'c'.repeat(1000) })}\n`);
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
}
