import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { runSearchIndexContract } from '../../ports/search-index.contract.ts';
import type { SearchDocument } from '../../ports/search-index.ts';
import { SqliteSearchIndex } from './sqlite-search-index.ts';

runSearchIndexContract('sqlite fts5', async () => {
  const dir = tempDir('basalt-search-');
  const index = new SqliteSearchIndex({ path: join(dir.path, 'search.db') });
  return { index, cleanup: async () => { await index.close(); dir.remove(); } };
});

const post = (n: number, over: Partial<SearchDocument> = {}): SearchDocument => ({ kind: 'posts', id: `pst_${n}`, title: `post ${n}`, body: 'lava', visibility: 'public', ownerId: 'usr_a', createdAt: n, ...over });

describe('SQLite FTS5 index: bounded ranking', () => {
  it('ranks only the newest `candidates` visible matches, and pages end there', async () => {
    const dir = tempDir('basalt-search-');
    const index = new SqliteSearchIndex({ path: join(dir.path, 'search.db'), candidates: 3 });
    try {
      // Oldest first: post 1 is the best match (lava ×3) but falls outside the newest three.
      await index.upsert([post(1, { body: 'lava lava lava' }), post(2), post(3), post(4, { body: 'lava lava' }), post(5, { visibility: 'private', ownerId: 'usr_b' })]);
      const res = await index.search({ kind: 'posts', q: 'lava', limit: 2 });
      expect(res.hits.map((h) => h.id)).toEqual(['pst_4', 'pst_3']);
      const next = await index.search({ kind: 'posts', q: 'lava', limit: 2, cursor: res.nextCursor ?? undefined });
      expect(next.hits.map((h) => h.id)).toEqual(['pst_2']);
      expect(next.nextCursor).toBeNull();
      // The owner's private post counts among their candidates.
      expect((await index.search({ kind: 'posts', q: 'lava', viewerId: 'usr_b', limit: 5 })).hits.map((h) => h.id)).toEqual(['pst_4', 'pst_5', 'pst_3']);
      // An edit re-indexes the post as new: it joins the candidates.
      await index.upsert([post(1, { body: 'lava lava lava' })]);
      expect((await index.search({ kind: 'posts', q: 'lava', limit: 1 })).hits.map((h) => h.id)).toEqual(['pst_1']);
    } finally {
      await index.close();
      dir.remove();
    }
  });

  it('opens an index written before the visibility side table (backfills it)', async () => {
    const dir = tempDir('basalt-search-');
    const path = join(dir.path, 'search.db');
    const old = new SQLite(path);
    old.exec(`create virtual table search_docs using fts5(kind unindexed, id unindexed, owner unindexed, visibility unindexed, created_at unindexed,
      title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')`);
    old.exec('create table search_keys (kind text not null, id text not null, doc integer not null, primary key (kind, id)) without rowid');
    old.exec(`insert into search_docs (rowid, kind, id, owner, visibility, created_at, title, body) values (7, 'posts', 'pst_old', 'usr_a', 'private', 1, 'Obsidian', 'old text')`);
    old.exec(`insert into search_keys values ('posts', 'pst_old', 7)`);
    old.close();
    const index = new SqliteSearchIndex({ path });
    try {
      expect((await index.search({ kind: 'posts', q: 'obsidian', limit: 5 })).hits).toEqual([]);
      expect((await index.search({ kind: 'posts', q: 'obsidian', viewerId: 'usr_a', limit: 5 })).hits.map((h) => h.id)).toEqual(['pst_old']);
      await index.remove('posts', ['pst_old']);
      expect((await index.search({ kind: 'posts', q: 'obsidian', viewerId: 'usr_a', limit: 5 })).hits).toEqual([]);
    } finally {
      await index.close();
      dir.remove();
    }
  });
});
