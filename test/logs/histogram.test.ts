import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { startLogsApp, type LogsApp } from './harness.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const T0 = Date.UTC(2026, 3, 1, 8, 0, 0);
// 60 entries, one every 7 s over 7 minutes, every level in turn; all mention "hist".
const SEED = Array.from({ length: 60 }, (_, i) => ({ timestamp: T0 + i * 7_000, level: LEVELS[i % 6], message: `hist entry ${i} ${i % 2 ? 'odd' : 'even'}`, service: i % 3 ? 'api' : 'web' }));

type Bucket = { start: string; count: number; levels: Record<string, number> };

/** What the histogram must say, computed here from the seed. */
function expected(from: number, to: number, intervalMs: number, keep: (e: (typeof SEED)[number]) => boolean): Bucket[] {
  const buckets: Bucket[] = [];
  for (let b = Math.floor(from / intervalMs); b <= Math.floor((to - 1) / intervalMs); b++) buckets.push({ start: new Date(b * intervalMs).toISOString(), count: 0, levels: {} });
  for (const e of SEED) {
    if (e.timestamp < from || e.timestamp >= to || !keep(e)) continue;
    const bucket = buckets[Math.floor(e.timestamp / intervalMs) - Math.floor(from / intervalMs)] as Bucket;
    bucket.count++;
    bucket.levels[e.level as string] = (bucket.levels[e.level as string] ?? 0) + 1;
  }
  return buckets;
}

describe.each(stacks())('log histogram ($name)', (stack) => {
  let app: LogsApp;
  const path = () => `/v1/projects/${app.project.id}/logs/histogram`;
  const get = async (params: Record<string, string | number>, source?: string) => {
    const qs = new URLSearchParams(Object.entries({ ...params, ...(source ? { source } : {}) }).map(([k, v]): [string, string] => [k, String(v)]));
    return app.call('GET', `${path()}?${qs}`, { headers: { 'x-api-key': app.key } });
  };
  beforeAll(async () => {
    app = await startLogsApp({ stack, env: { LOG_HOT_CACHE_ENTRIES: '1000' } });
    expect((await app.ingest({ entries: SEED })).status).toBe(202);
    await app.drained();
  });
  afterAll(() => app?.close());

  // Unaligned ends: the partial minutes are counted from rows, the whole ones from counts.
  const from = T0 + 30_000;
  const to = T0 + 6 * 60_000 + 20_000;
  const scenarios: Array<[string, Record<string, string | number>, number, (e: (typeof SEED)[number]) => boolean]> = [
    ['time only (per-minute counts, partial minutes from rows)', {}, 60_000, () => true],
    ['a minimum level', { level: 'warn' }, 60_000, (e) => LEVELS.indexOf(e.level as string) >= 3],
    ['a list of levels', { level: 'debug,fatal' }, 60_000, (e) => e.level === 'debug' || e.level === 'fatal'],
    ['full text (rows)', { q: 'odd' }, 60_000, (e) => e.message.endsWith('odd')],
    ['a service (rows)', { service: 'web' }, 60_000, (e) => e.service === 'web'],
    ['2-minute buckets', {}, 120_000, () => true],
    ['30-second buckets (rows)', { level: 'info' }, 30_000, (e) => LEVELS.indexOf(e.level as string) >= 2],
  ];
  it.each(scenarios)('counts per bucket and level: %s', async (_name, params, intervalMs, keep) => {
    const interval = intervalMs % 60_000 === 0 ? `${intervalMs / 60_000}m` : `${intervalMs / 1000}s`;
    const res = await get({ from, to, interval, ...params });
    expect(res.status, res.text).toBe(200);
    const want = expected(from, to, intervalMs, keep);
    expect(res.body.data).toEqual({
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      interval,
      intervalMs,
      total: want.reduce((n, b) => n + b.count, 0),
      buckets: want,
    });
  });

  it('agrees with the hot cache (source=kv)', async () => {
    const d1 = await get({ from, to, interval: '1m' });
    const kv = await get({ from, to, interval: '1m' }, 'kv');
    expect(kv.status).toBe(200);
    expect(kv.body.data).toEqual(d1.body.data);
  });

  it('picks an interval from the range when none is given (the last 24 hours by default)', async () => {
    const res = await get({ from: T0, to: T0 + 7 * 60_000 });
    expect(res.body.data).toMatchObject({ interval: '5s', total: 60 });
    expect(res.body.data.buckets).toHaveLength(84);
    const day = await get({});
    expect(day.body.data).toMatchObject({ interval: '30m' });
  });

  const refusals: Array<[string, Record<string, string | number>, string, string]> = [
    ['a malformed interval', { interval: 'often' }, 'general:validation_error', 'interval'],
    ['too many buckets', { from: T0, to: T0 + 86_400_000, interval: '1s' }, 'general:validation_error', 'interval'],
    ['an unknown source', { source: 'redis' }, 'logs:invalid_source', ''],
  ];
  it.each(refusals)('refuses %s', async (_name, params, code, field) => {
    const res = await get(params);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    if (field) expect(res.body.error?.details?.map((d) => d.field)).toEqual([field]);
  });
});
