import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuedLogBatch } from '../../src/ports/log-queue.ts';
import { parseFilter } from '../../src/modules/logs/filter.ts';
import { LogsRepo } from '../../src/modules/logs/repo.ts';
import type { LogStoreWriter } from '../../src/modules/logs/store.ts';
import { PostgresLogStoreWriter } from '../../src/modules/logs/store-postgres.ts';
import { SqliteLogStoreWriter } from '../../src/modules/logs/store-sqlite.ts';
import { stacks } from '../accounts/harness.ts';
import { startLogsApp, type LogsApp } from './harness.ts';

// Far above the sequences the app's own queue hands out.
let seq = 1_000_000_000;

describe.each(stacks())('log store writer: redelivery, deleted projects, indexing ($name)', (stack) => {
  let app: LogsApp;
  let writer: LogStoreWriter;
  const openSqlite = () => new SqliteLogStoreWriter(SqliteLogStoreWriter.configure(new SQLite(join(app.dataDir, 'basalt.db'))));
  beforeAll(async () => {
    // No writer of the app's own: this test's writer is the only one, so what is indexed when is up to it.
    app = await startLogsApp({ stack, env: { LOG_WRITER: 'off' } });
    writer = stack.sql === 'sqlite' ? openSqlite() : new PostgresLogStoreWriter(app.container.sql.db);
  });
  afterAll(async () => {
    if (stack.sql === 'sqlite') await writer?.close();
    await app?.close();
  });

  const batch = (word: string, count: number, projectId = app.project.id, traceId: string | null = null): QueuedLogBatch => {
    const ts = Date.now();
    const tuples = Array.from({ length: count }, (_, i) => [ts + i * 1000, i % 6, `${word} ${i}`, 'svc', traceId, { i }]);
    return { seq: ++seq, projectId, count, payload: Buffer.from(JSON.stringify(tuples)), receivedAt: ts };
  };
  /** Runs index steps until nothing is pending (SQLite; PostgreSQL indexes as it writes). */
  const indexAll = async (w = writer) => {
    let total = 0;
    for (let n = (await w.index?.(3)) ?? 0; n > 0; n = (await w.index?.(3)) ?? 0) total += n;
    return total;
  };
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(app.container.sql.db)).rows[0]?.n);
  const fullText = (word: string) =>
    count(
      stack.sql === 'sqlite'
        ? sql<{ n: number }>`select count(*) as n from logs_fts where logs_fts match ${`"${word}"`}`
        : sql<{ n: number }>`select count(*) as n from logs where tsv @@ to_tsquery('simple', ${word})`,
    );
  const held = async (word: string) => {
    await indexAll();
    return { rows: await count(sql<{ n: number }>`select count(*) as n from logs where message like ${`${word} %`}`), indexed: await fullText(word) };
  };
  const counted = async () => Number((await app.container.sql.db.selectFrom('log_counts').select((eb) => eb.fn.sum('n').as('n')).where('project_id', '=', app.project.id).executeTakeFirst())?.n ?? 0);
  const messages = async (params: Record<string, string | number>) => (await app.query({ limit: 100, ...params })).body.data.map((e: { message: string }) => e.message).sort();

  it('writes a batch once: delivered again (alone or with new ones), it adds no row, index entry or count', async () => {
    const word = `redeliver${Date.now()}`;
    const before = await counted();
    const first = batch(word, 5);
    expect(await writer.write([first])).toEqual(['written']);
    expect(await writer.write([first])).toEqual(['duplicate']);
    const second = batch(word, 3);
    expect(await writer.write([first, second, first])).toEqual(['duplicate', 'written', 'duplicate']);
    await writer.sync();
    expect(await held(word)).toEqual({ rows: 8, indexed: 8 });
    expect((await counted()) - before).toBe(8);
    const stored = await app.query({ q: word, limit: 100 });
    expect(stored.body.data.map((e: { attributes: unknown }) => e.attributes)).toContainEqual({ i: 4 });
  });

  it('adds only the missing rows of a batch partly stored', async () => {
    const word = `partial${Date.now()}`;
    const b = batch(word, 4);
    await writer.write([b]);
    await indexAll();
    await app.container.sql.db.deleteFrom('logs').where('message', '=', `${word} 2`).execute();
    expect(await held(word)).toEqual({ rows: 3, indexed: 3 });
    expect(await writer.write([b])).toEqual(['written']);
    expect(await held(word)).toEqual({ rows: 4, indexed: 4 });
  });

  it('drops a batch whose project was deleted meanwhile', async () => {
    const word = `orphan${Date.now()}`;
    expect(await writer.write([batch(word, 2, 'prj_deleted_meanwhile')])).toEqual(['orphaned']);
    expect(await held(word)).toEqual({ rows: 0, indexed: 0 });
  });

  it('reports the largest id stored, which queue sequences start above', async () => {
    const word = `maxid${Date.now()}`;
    const b = batch(word, 3);
    await writer.write([b]);
    expect(await writer.maxId()).toBe(b.seq * 1024 + 2);
  });

  it('finds rows by trace id at once, and by full text once indexed: each exactly once', async () => {
    const word = `later${Date.now()}`;
    const trace = `trace-${word}`;
    await indexAll();
    await writer.write([batch(word, 4, app.project.id, trace), batch(word, 3, app.project.id, trace)]);
    const all = Array.from({ length: 4 }, (_, i) => `${word} ${i}`).concat(Array.from({ length: 3 }, (_, i) => `${word} ${i}`)).sort();
    expect(await messages({ traceId: trace })).toEqual(all);
    if (writer.index) {
      // Stored, counted, found by trace id, not searchable yet.
      expect(await writer.indexBacklog?.()).toMatchObject({ entries: 7 });
      expect(await fullText(word)).toBe(0);
      expect(await messages({ q: word })).toEqual([]);
      expect(await indexAll()).toBe(7);
      expect(await writer.indexBacklog?.()).toEqual({ entries: 0, oldestAt: undefined });
      expect(await indexAll()).toBe(0);
    }
    expect(await messages({ q: word })).toEqual(all);
    expect(await messages({ traceId: trace })).toEqual(all);
    expect(await messages({ traceId: trace, q: word, level: 'warn' })).toEqual([`${word} 3`]);
    const histogram = await app.call('GET', `/v1/projects/${app.project.id}/logs/histogram?traceId=${trace}&from=${Date.now() - 3_600_000}&to=${Date.now() + 3_600_000}&interval=1h`, { headers: { 'x-api-key': app.key } });
    expect(histogram.body.data.total).toBe(7);
  });

  it('replays a tail with full text over entries stored but not yet indexed', async () => {
    const word = `replay${Date.now()}`;
    const repo = new LogsRepo(app.container.sql.db, app.container.sql.capabilities);
    const before = await writer.maxId();
    await writer.write([batch(word, 3), batch('other', 2)]);
    const replay = async () => (await repo.after(app.project.id, parseFilter({ q: word }), before, 100)).map((e) => e.message);
    expect(await replay()).toEqual([`${word} 0`, `${word} 1`, `${word} 2`]);
    await indexAll();
    expect(await replay()).toEqual([`${word} 0`, `${word} 1`, `${word} 2`]);
  });

  // Indexing after storing is SQLite's (PostgreSQL indexes as it writes): these exist only there.
  if (stack.sql === 'sqlite') {
    it('leaves what it did not index to the next writer (a crash before indexing), which indexes it once', async () => {
      const word = `crashed${Date.now()}`;
      const first = openSqlite();
      await first.write([batch(word, 5, app.project.id, `t-${word}`)]);
      await first.sync();
      // The first writer goes away before its index step (a kill -9 would leave the same).
      await first.close();
      expect(await fullText(word)).toBe(0);
      const second = openSqlite();
      try {
        expect(await indexAll(second)).toBeGreaterThanOrEqual(5);
        expect(await fullText(word)).toBe(5);
        expect(await count(sql<{ n: number }>`select count(*) as n from log_traces where trace_id = ${`t-${word}`}`)).toBe(5);
      } finally {
        await second.close();
      }
    });

    it('indexes nothing of a row deleted before its index step, and unindexes rows deleted after', async () => {
      const word = `gone${Date.now()}`;
      const trace = `t-${word}`;
      await writer.write([batch(word, 4, app.project.id, trace)]);
      await app.container.sql.db.deleteFrom('logs').where('message', '=', `${word} 1`).execute();
      await indexAll();
      expect(await fullText(word)).toBe(3);
      await app.container.sql.db.deleteFrom('logs').where('message', '=', `${word} 2`).execute();
      expect(await fullText(word)).toBe(2);
      expect(await count(sql<{ n: number }>`select count(*) as n from log_traces where trace_id = ${trace}`)).toBe(2);
    });
  }
});
