import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { createPgSchema, runId, serviceUrl, tempDir } from '../helpers/backends.ts';
import { waitFor } from '../helpers/net.ts';
import { logsKey, startBasalt, startIngest, storedMessages } from './crash.ts';

// The durability promise, end to end: a real server, `kill -9` while it takes batches,
// a restart on the same data, and every entry that got a 202 is there exactly once.
// (bench/logs.bench.ts runs a bigger version.)
describe.each(stacks())('kill -9 during ingest ($name)', (stack) => {
  it('keeps every entry that got a 202, and none twice', { timeout: 240_000 }, async () => {
    const dir = tempDir('basalt-crash-');
    const env: Record<string, string> = { NODE_ENV: 'test', DATA_DIR: dir.path, RATE_LIMIT_ENABLED: 'false', REQUIRE_VERIFIED_EMAIL_FOR: 'posts.create' };
    let dropSchema: (() => Promise<void>) | undefined;
    if (stack.sql === 'postgres') {
      const url = serviceUrl('DATABASE_URL') as string;
      const s = await createPgSchema(url);
      dropSchema = s.drop;
      env.DATABASE_URL = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${s.schema}`)}`;
      env.REDIS_URL = serviceUrl('REDIS_URL') as string;
      env.KV_PREFIX = `${runId('crash')}:`;
    }
    try {
      const first = await startBasalt(env);
      const { projectId, key } = await logsKey(first.call);
      const ingest = startIngest(first.url, key, { connections: 6, batch: 200 });
      // Killed while the writer is busy too: some entries stored, more queued, more in flight.
      const storedSome = async () => (await first.call('GET', `/v1/projects/${projectId}/logs?limit=1`, { headers: { 'x-api-key': key } })).body.data.length > 0;
      await waitFor(async () => ingest.run.acked.size >= 4_000 && (await storedSome()), 60_000, 20);
      const writing = ingest.run.acked.size;
      await waitFor(async () => ingest.run.acked.size >= writing + 4_000, 60_000, 5);
      await first.kill9();
      await ingest.finished;
      const { acked, unknown } = ingest.run;

      const second = await startBasalt(env);
      try {
        let stored: string[] = [];
        await waitFor(
          async () => {
            stored = await storedMessages(second.call, projectId, key);
            const have = new Set(stored);
            return [...acked].every((m) => have.has(m));
          },
          60_000,
          250,
        );
        expect(stored.length).toBe(new Set(stored).size);
        for (const m of stored) expect(acked.has(m) || unknown.has(m)).toBe(true);
        expect(acked.size).toBeGreaterThanOrEqual(8_000);
        // Full text (indexed after storing on SQLite, from a list the crash cannot lose or
        // replay): every stored entry becomes searchable, once. Entries in flight at the kill
        // may still be arriving: compare once the two counts agree.
        const searchable = async () => {
          const res = await second.call('GET', `/v1/projects/${projectId}/logs/histogram?q=crash&from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}&interval=1h`, { headers: { 'x-api-key': key } });
          return Number(res.body.data.total);
        };
        await waitFor(async () => (await searchable()) === (await storedMessages(second.call, projectId, key)).length, 60_000, 250);
        if (stack.sql === 'sqlite') {
          const db = new SQLite(join(dir.path, 'basalt.db'), { readonly: true });
          try {
            const one = (q: string) => Number((db.prepare(q).get() as { n: number | null }).n ?? 0);
            // One snapshot: every row is either indexed or pending, never both, never neither.
            const counts = db.transaction(() => ({
              indexed: one(`select count(*) as n from logs_fts where logs_fts match 'crash'`),
              pending: one('select count(*) as n from log_index_pending p cross join logs l on l.id between p.lo and p.hi'),
              rows: one('select count(*) as n from logs'),
            }));
            const now = counts();
            expect(now.indexed + now.pending).toBe(now.rows);
            await waitFor(async () => counts().pending === 0, 60_000, 100);
            const done = counts();
            expect(done.indexed).toBe(done.rows);
          } finally {
            db.close();
          }
        }
      } finally {
        await second.stop();
      }
    } finally {
      await dropSchema?.();
      dir.remove();
    }
  });
});
