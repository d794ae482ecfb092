import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createPgSchema, serviceUrl } from '../../../test/helpers/backends.ts';
import { openSqlStore } from '../../db/database.ts';
import { runSearchIndexContract } from '../../ports/search-index.contract.ts';
import type { SearchDocument } from '../../ports/search-index.ts';
import { PostgresSearchIndex } from './postgres-search-index.ts';

const url = serviceUrl('DATABASE_URL');

const post = (n: number, over: Partial<SearchDocument> = {}): SearchDocument => ({ kind: 'posts', id: `pst_${n}`, title: `post ${n}`, body: 'lava', visibility: 'public', ownerId: 'usr_a', createdAt: n, ...over });

describe.skipIf(!url)('PostgreSQL full-text search', () => {
  runSearchIndexContract('postgres', async () => {
    const schema = await createPgSchema(url as string);
    const store = openSqlStore({ url: url as string, sqlitePath: '', schema: schema.schema });
    const index = await PostgresSearchIndex.open(store.db);
    return { index, cleanup: async () => { await store.close(); await schema.drop(); } };
  });

  it('ranks only the newest `candidates` visible matches; a batch may repeat a document (the last wins)', async () => {
    const schema = await createPgSchema(url as string);
    const store = openSqlStore({ url: url as string, sqlitePath: '', schema: schema.schema });
    try {
      const index = await PostgresSearchIndex.open(store.db, { candidates: 3 });
      await index.upsert([post(1, { body: 'lava lava lava' }), post(2), post(3), post(4, { body: 'x' }), post(4, { body: 'lava lava' }), post(5, { visibility: 'private', ownerId: 'usr_b' })]);
      const res = await index.search({ kind: 'posts', q: 'lava', limit: 2 });
      expect(res.hits.map((h) => h.id)).toEqual(['pst_4', 'pst_3']);
      expect(res.hits[0]?.snippet).toBe('<mark>lava</mark> <mark>lava</mark>');
      const next = await index.search({ kind: 'posts', q: 'lava', limit: 2, cursor: res.nextCursor ?? undefined });
      expect(next.hits.map((h) => h.id)).toEqual(['pst_2']);
      expect(next.nextCursor).toBeNull();
      expect((await index.search({ kind: 'posts', q: 'lava', viewerId: 'usr_b', limit: 5 })).hits.map((h) => h.id)).toEqual(['pst_4', 'pst_5', 'pst_3']);
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it('a database indexed before the terms table moves over on open: its documents are found, its old tsvector and indexes dropped', async () => {
    const schema = await createPgSchema(url as string);
    const store = openSqlStore({ url: url as string, sqlitePath: '', schema: schema.schema });
    try {
      // The layout before the split: one table, its GIN and newest-first indexes.
      await sql`create table search_documents (
        kind varchar(16) not null, id varchar(64) not null, owner_id varchar(64) not null,
        visibility varchar(16) not null, created_at bigint not null, title text not null, body text not null,
        tsv tsvector generated always as (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')) stored,
        primary key (kind, id))`.execute(store.db);
      await sql`create index search_documents_tsv on search_documents using gin (tsv)`.execute(store.db);
      await sql`create index search_documents_recent on search_documents (kind, created_at desc, id desc)`.execute(store.db);
      await sql`insert into search_documents (kind, id, owner_id, visibility, created_at, title, body) values
        ('posts', 'pst_1', 'usr_a', 'public', 1, 'Basalt columns', 'cooling lava'),
        ('posts', 'pst_2', 'usr_b', 'private', 2, 'Lava tubes', 'hidden')`.execute(store.db);
      const index = await PostgresSearchIndex.open(store.db);
      expect((await index.search({ kind: 'posts', q: 'lava', limit: 5 })).hits.map((h) => h.id)).toEqual(['pst_1']);
      expect((await index.search({ kind: 'posts', q: 'lav', viewerId: 'usr_b', limit: 5 })).hits.map((h) => h.id)).toEqual(['pst_2', 'pst_1']);
      const { rows } = await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = ${schema.schema} and tablename = 'search_documents' order by 1`.execute(store.db);
      expect(rows.map((r) => r.name)).toEqual(['search_documents_pkey']);
      const { rows: columns } = await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = ${schema.schema} and table_name = 'search_documents' and column_name = 'tsv'`.execute(store.db);
      expect(columns).toEqual([]);
      // Opening again moves nothing twice.
      await PostgresSearchIndex.open(store.db);
      const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from search_terms`.execute(store.db);
      expect(count[0]?.n).toBe(2);
    } finally {
      await store.close();
      await schema.drop();
    }
  });
});
