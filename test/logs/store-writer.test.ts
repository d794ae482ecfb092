import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuedLogBatch } from '../../src/ports/log-queue.ts';
import type { LogStoreWriter } from '../../src/modules/logs/store.ts';
import { PostgresLogStoreWriter } from '../../src/modules/logs/store-postgres.ts';
import { SqliteLogStoreWriter } from '../../src/modules/logs/store-sqlite.ts';
import { stacks } from '../accounts/harness.ts';
import { startLogsApp, type LogsApp } from './harness.ts';

// Far above the sequences the app's own queue hands out.
let seq = 1_000_000_000;

describe.each(stacks())('log store writer: redelivery and deleted projects ($name)', (stack) => {
  let app: LogsApp;
  let writer: LogStoreWriter;
  beforeAll(async () => {
    app = await startLogsApp({ stack });
    writer =
      stack.sql === 'sqlite'
        ? new SqliteLogStoreWriter(SqliteLogStoreWriter.configure(new SQLite(join(app.dataDir, 'basalt.db'))))
        : new PostgresLogStoreWriter(app.container.sql.db);
  });
  afterAll(async () => {
    if (stack.sql === 'sqlite') await writer?.close();
    await app?.close();
  });

  const batch = (word: string, count: number, projectId = app.project.id): QueuedLogBatch => {
    const ts = Date.now();
    const tuples = Array.from({ length: count }, (_, i) => [ts + i * 1000, i % 6, `${word} ${i}`, 'svc', null, { i }]);
    return { seq: ++seq, projectId, count, payload: JSON.stringify(tuples), receivedAt: ts };
  };
  const held = async (word: string) => {
    const db = app.container.sql.db;
    const rows = await sql<{ n: number }>`select count(*) as n from logs where message like ${`${word} %`}`.execute(db);
    const fullText =
      stack.sql === 'sqlite'
        ? await sql<{ n: number }>`select count(*) as n from logs_fts where logs_fts match ${`"${word}"`}`.execute(db)
        : await sql<{ n: number }>`select count(*) as n from logs where tsv @@ to_tsquery('simple', ${word})`.execute(db);
    return { rows: Number(rows.rows[0]?.n), indexed: Number(fullText.rows[0]?.n) };
  };
  const counted = async () => Number((await app.container.sql.db.selectFrom('log_counts').select((eb) => eb.fn.sum('n').as('n')).where('project_id', '=', app.project.id).executeTakeFirst())?.n ?? 0);

  it('writes a batch once: delivered again (alone or with new ones), it adds no row, index entry or count', async () => {
    const word = `redeliver${Date.now()}`;
    const before = await counted();
    const first = batch(word, 5);
    expect(await writer.write([first])).toEqual(['written']);
    expect(await writer.write([first])).toEqual(['duplicate']);
    const second = batch(word, 3);
    expect(await writer.write([first, second, first])).toEqual(['duplicate', 'written', 'duplicate']);
    expect(await held(word)).toEqual({ rows: 8, indexed: 8 });
    expect((await counted()) - before).toBe(8);
    const stored = await app.query({ q: word, limit: 100 });
    expect(stored.body.data.map((e: { attributes: unknown }) => e.attributes)).toContainEqual({ i: 4 });
  });

  it('adds only the missing rows of a batch partly stored', async () => {
    const word = `partial${Date.now()}`;
    const b = batch(word, 4);
    await writer.write([b]);
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
});
