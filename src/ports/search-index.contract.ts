import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchDocument, SearchIndex, SearchQuery } from './search-index.ts';

/** Follows `nextCursor` for at most `maxPages` pages: the ids in order, and the cursor that gave the last page. */
export async function pageThrough(index: SearchIndex, query: Omit<SearchQuery, 'cursor'>, maxPages: number): Promise<{ ids: string[]; cursor: string | undefined }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await index.search({ ...query, cursor });
    ids.push(...res.hits.map((h) => h.id));
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return { ids, cursor };
}

let n = 0;
function doc(over: Partial<SearchDocument> = {}): SearchDocument {
  n += 1;
  return { kind: 'posts', id: `pst_contract_${n}`, title: 'Untitled', body: '', visibility: 'public', ownerId: 'usr_owner', createdAt: Date.now(), ...over };
}

/** The SearchIndex contract (src/ports/search-index.ts): every adapter runs it on a fresh index. */
export function runSearchIndexContract(name: string, open: () => Promise<{ index: SearchIndex; cleanup(): Promise<void> }>): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let index: SearchIndex;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ index, cleanup } = await open());
    });
    afterAll(() => cleanup());

    it('finds by every word, the last as a prefix, ranked, with a marked and escaped snippet', async () => {
      const strong = doc({ title: 'Granite quarry notes', body: 'granite granite and basalt <b>columns</b>' });
      const weak = doc({ title: 'Misc', body: 'a long text that mentions granite once and basalt once, among many other words about stones' });
      const other = doc({ title: 'Nothing here', body: 'marble only' });
      await index.upsert([strong, weak, other]);
      const res = await index.search({ kind: 'posts', q: 'granite bas', limit: 10 });
      expect(res.hits.map((h) => h.id)).toEqual([strong.id, weak.id]);
      expect(res.hits[0]?.score).toBeGreaterThanOrEqual(res.hits[1]?.score ?? 0);
      expect(res.hits.some((h) => /<mark>[Gg]ranite<\/mark>|<mark>[Bb]asalt<\/mark>/.test(h.snippet))).toBe(true);
      expect(res.hits.map((h) => h.snippet).join(' ')).not.toContain('<b>');
    });

    it('never shows a private document to anyone but its owner', async () => {
      const secret = doc({ title: 'obsidian diary', visibility: 'private', ownerId: 'usr_alice' });
      await index.upsert([secret]);
      expect((await index.search({ kind: 'posts', q: 'obsidian', limit: 10 })).hits).toEqual([]);
      expect((await index.search({ kind: 'posts', q: 'obsidian', viewerId: 'usr_bob', limit: 10 })).hits).toEqual([]);
      expect((await index.search({ kind: 'posts', q: 'obsidian', viewerId: 'usr_alice', limit: 10 })).hits.map((h) => h.id)).toEqual([secret.id]);
    });

    it('upsert replaces (idempotent), remove deletes, kinds are separate', async () => {
      const d = doc({ title: 'pumice first' });
      await index.upsert([d]);
      await index.upsert([{ ...d, title: 'scoria second' }]);
      await index.upsert([{ ...d, title: 'scoria second' }]);
      expect((await index.search({ kind: 'posts', q: 'pumice', limit: 10 })).hits).toEqual([]);
      expect((await index.search({ kind: 'posts', q: 'scoria', limit: 10 })).hits.map((h) => h.id)).toEqual([d.id]);
      expect((await index.search({ kind: 'users', q: 'scoria', limit: 10 })).hits).toEqual([]);
      await index.remove('posts', [d.id]);
      await index.remove('posts', [d.id]);
      expect((await index.search({ kind: 'posts', q: 'scoria', limit: 10 })).hits).toEqual([]);
    });

    it('pages with a cursor, no repeats', async () => {
      const docs = Array.from({ length: 7 }, () => doc({ title: 'tuff page', body: 'tuff' }));
      await index.upsert(docs);
      const { ids: seen } = await pageThrough(index, { kind: 'posts', q: 'tuff', limit: 3 }, 5);
      expect(new Set(seen).size).toBe(7);
      expect(seen.sort()).toEqual(docs.map((d) => d.id).sort());
    });

    it('a query without words, or with search syntax, is harmless', async () => {
      for (const q of ['', '   ', '***', '"', 'AND OR NOT', 'title:x', "') or 1=1 --", 'NEAR(a b)']) {
        await expect(index.search({ kind: 'posts', q, limit: 5 })).resolves.toBeDefined();
      }
      expect((await index.search({ kind: 'posts', q: '!!!', limit: 5 })).hits).toEqual([]);
    });
  });
}
