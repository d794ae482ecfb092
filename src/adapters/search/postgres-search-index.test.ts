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
});
