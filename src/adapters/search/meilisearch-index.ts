import { Meilisearch, type Index } from 'meilisearch';
import { decodeOffset, encodeOffset, markSnippet, queryTerms, type SearchDocument, type SearchIndex, type SearchKind, type SearchQuery, type SearchResult } from '../../ports/search-index.ts';

interface MeiliDoc {
  id: string;
  ownerId: string;
  visibility: string;
  createdAt: number;
  title: string;
  body: string;
}

/** Meilisearch (MEILISEARCH_URL) through the official client: one index per kind. */
export class MeilisearchIndex implements SearchIndex {
  readonly backend = 'meilisearch' as const;

  private constructor(
    private readonly client: Meilisearch,
    private readonly indexes: Record<SearchKind, Index<MeiliDoc>>,
  ) {}

  static async open(options: { url: string; apiKey?: string | undefined; prefix: string; timeoutMs?: number }): Promise<MeilisearchIndex> {
    const client = new Meilisearch({ host: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}), timeout: options.timeoutMs ?? 5_000 });
    const indexes = {} as Record<SearchKind, Index<MeiliDoc>>;
    for (const kind of ['posts', 'users'] as const) {
      const uid = `${options.prefix}${kind}`;
      await client.createIndex(uid, { primaryKey: 'id' }).waitTask();
      const index = client.index<MeiliDoc>(uid);
      await index
        .updateSettings({ searchableAttributes: ['title', 'body'], filterableAttributes: ['visibility', 'ownerId'], sortableAttributes: ['createdAt'] })
        .waitTask();
      indexes[kind] = index;
    }
    return new MeilisearchIndex(client, indexes);
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    for (const kind of ['posts', 'users'] as const) {
      const batch = docs.filter((d) => d.kind === kind).map((d) => ({ id: d.id, ownerId: d.ownerId, visibility: d.visibility, createdAt: d.createdAt, title: d.title, body: d.body }));
      if (batch.length > 0) await this.indexes[kind].addDocuments(batch).waitTask();
    }
  }

  async remove(kind: SearchKind, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.indexes[kind].deleteDocuments([...ids]).waitTask();
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const terms = queryTerms(query.q);
    if (terms.length === 0) return { hits: [], nextCursor: null };
    const offset = decodeOffset(query.cursor);
    // Ids are server-made ([a-z0-9_]), safe to quote in a filter.
    const owner = (query.viewerId ?? '').replace(/[^A-Za-z0-9_]/g, '');
    const res = await this.indexes[query.kind].search(terms.join(' '), {
      offset,
      limit: query.limit + 1,
      filter: owner ? `visibility = "public" OR ownerId = "${owner}"` : 'visibility = "public"',
      attributesToCrop: ['body'],
      cropLength: 24,
      attributesToHighlight: ['title', 'body'],
      highlightPreTag: '\u0001',
      highlightPostTag: '\u0002',
      showRankingScore: true,
      matchingStrategy: 'all',
    });
    const more = res.hits.length > query.limit;
    return {
      hits: res.hits.slice(0, query.limit).map((h) => {
        const f = h._formatted as Partial<MeiliDoc> | undefined;
        const text = f?.body?.includes('\u0001') ? f.body : (f?.title ?? h.title);
        return { id: h.id, score: h._rankingScore ?? 0, snippet: markSnippet(text ?? '') };
      }),
      nextCursor: more ? encodeOffset(offset + query.limit) : null,
    };
  }

  async ping(): Promise<void> {
    await this.client.health();
  }

  async close(): Promise<void> {}
}
