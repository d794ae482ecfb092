import { Meilisearch, type EnqueuedTaskPromise, type Index, type Settings } from 'meilisearch';
import { decodeOffset, encodeOffset, markSnippet, queryTerms, type SearchDocument, type SearchIndex, type SearchKind, type SearchQuery, type SearchResult } from '../../ports/search-index.ts';

export interface MeilisearchSearchIndexOptions {
  url: string;
  apiKey?: string | undefined;
  /** Put before each index name (`<prefix>posts`, `<prefix>users`): several Basalts, or test runs, share one server. */
  prefix: string;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** How long an upsert or remove waits for Meilisearch to apply it. */
  taskTimeoutMs?: number;
}

interface MeiliDoc {
  id: string;
  ownerId: string;
  visibility: 'public' | 'private';
  createdAt: number;
  title: string;
  body: string;
}

const KINDS = ['posts', 'users'] as const satisfies readonly SearchKind[];
/** Words per snippet, as the SQL backends' snippets (snippet.ts). */
const SNIPPET_WORDS = 16;
const PRE = '\u0001';
const POST = '\u0002';

const SETTINGS: Settings = {
  // Title before body: Meilisearch's `attribute` rule ranks a match in the title higher.
  searchableAttributes: ['title', 'body'],
  filterableAttributes: ['visibility', 'ownerId'],
  // Typo tolerance off: the port promises every query word matched, so a query finds the same
  // documents on every backend (and the contract suite holds Meilisearch to that).
  typoTolerance: { enabled: false },
  // Ties newest first, as the SQL backends break them.
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'createdAt:desc'],
  // Nothing here searches facet values; building that structure only slows indexing.
  facetSearch: false,
  // Meilisearch's tokenizer drops text between `<` and `>`-like tags ("<b>columns</b>" indexes
  // no "columns"); Markdown bodies may hold inline HTML, and the other backends index every word.
  separatorTokens: ['<', '>'],
};

/** Meilisearch's filter syntax: a double-quoted string with `\` and `"` escaped. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The highlight markers are control characters no text needs; a document carrying them could forge a `<mark>`. */
function clean(text: string): string {
  return text.replace(/[\u0001\u0002]/g, '');
}

/** Meilisearch marks only the matched prefix of a word ("<mark>gra</mark>nite"); the other backends mark the word. */
function wholeWords(text: string): string {
  return text.replace(/\u0002([\p{L}\p{N}]+)/gu, '$1\u0002');
}

/** Distinct highlighted words first, then matches: the field the snippet comes from (as snippet.ts chooses). */
function highlightScore(text: string): number {
  const marked = [...text.matchAll(/\u0001([^\u0002]*)\u0002/g)].map((m) => (m[1] ?? '').toLowerCase());
  return new Set(marked).size * 10_000 + marked.length;
}

/**
 * Meilisearch through the official client (MEILISEARCH_URL): one index per kind. Every write
 * is a Meilisearch task; `upsert` and `remove` resolve once theirs has been applied (and
 * reject if it failed), so the change is visible to `search` as the port requires.
 *
 * Creating the indexes and their settings happens on first use and is retried after a
 * failure: a Basalt started while Meilisearch is down still serves everything else, and
 * search answers `meilisearch:query_failed` until the server is back.
 */
export class MeilisearchSearchIndex implements SearchIndex {
  readonly backend = 'meilisearch' as const;
  private readonly client: Meilisearch;
  private readonly indexes: Record<SearchKind, Index<MeiliDoc>>;
  private readonly taskTimeoutMs: number;
  private setup: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: MeilisearchSearchIndexOptions) {
    this.client = new Meilisearch({
      host: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      timeout: options.timeoutMs ?? 5_000,
      // Node's fetch asks for gzip; Meilisearch then streams a chunked, compressed body, and on a
      // kept-alive connection its last segment waits for a delayed ACK: every search over 1 KB took
      // ~45 ms instead of ~2 ms. Uncompressed answers carry a Content-Length and go out at once.
      requestInit: { headers: { 'accept-encoding': 'identity' } },
    });
    this.indexes = { posts: this.client.index<MeiliDoc>(this.uid('posts')), users: this.client.index<MeiliDoc>(this.uid('users')) };
    this.taskTimeoutMs = options.taskTimeoutMs ?? 60_000;
  }

  /** An index whose indexes and settings are in place (rejects if the server cannot be reached). */
  static async open(options: MeilisearchSearchIndexOptions): Promise<MeilisearchSearchIndex> {
    const index = new MeilisearchSearchIndex(options);
    await index.ready();
    return index;
  }

  /** The Meilisearch index name of a kind. */
  uid(kind: SearchKind): string {
    return `${this.options.prefix}${kind}`;
  }

  /** Creates the indexes and applies the settings once; a failed attempt is retried on the next call. */
  ready(): Promise<void> {
    // Like the other backends after close(): calls fail instead of quietly reaching the server.
    if (this.closed) return Promise.reject(new Error('Meilisearch search index is closed'));
    this.setup ??= this.configure().catch((err: unknown) => {
      this.setup = undefined;
      throw err;
    });
    return this.setup;
  }

  private async configure(): Promise<void> {
    for (const kind of KINDS) {
      const created = await this.client.createIndex(this.uid(kind), { primaryKey: 'id' }).waitTask({ timeout: this.taskTimeoutMs, interval: 10 });
      if (created.status !== 'succeeded' && created.error?.code !== 'index_already_exists') throw new Error(`Meilisearch: index ${this.uid(kind)} not created: ${created.error?.message ?? created.status}`);
      // Settings that already hold make a no-op task: cheap to send at every start.
      await this.applied(this.indexes[kind].updateSettings(SETTINGS), `settings of ${this.uid(kind)}`);
    }
  }

  /** Waits for a task; a task that failed or was cancelled rejects, so callers never take it as applied. */
  private async applied(task: EnqueuedTaskPromise, what: string): Promise<void> {
    // Small writes take a few milliseconds: the client's default 50 ms poll would dominate them.
    const done = await task.waitTask({ timeout: this.taskTimeoutMs, interval: 10 });
    if (done.status !== 'succeeded') throw new Error(`Meilisearch: ${what} ${done.status}: ${done.error?.message ?? 'no reason given'}`);
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    await this.ready();
    for (const kind of KINDS) {
      // The last version of a document in one batch wins, as on the other backends.
      const batch = new Map<string, MeiliDoc>();
      for (const d of docs) if (d.kind === kind) batch.set(d.id, { id: d.id, ownerId: d.ownerId, visibility: d.visibility, createdAt: d.createdAt, title: clean(d.title), body: clean(d.body) });
      // addDocuments replaces whole documents (updateDocuments would merge fields): no mix of versions.
      if (batch.size > 0) await this.applied(this.indexes[kind].addDocuments([...batch.values()]), `indexing ${batch.size} ${kind}`);
    }
  }

  async remove(kind: SearchKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.ready();
    await this.applied(this.indexes[kind].deleteDocuments([...ids]), `removing ${ids.length} ${kind}`);
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const terms = queryTerms(query.q);
    if (terms.length === 0) return { hits: [], nextCursor: null };
    await this.ready();
    const offset = decodeOffset(query.cursor);
    const visible = query.viewerId ? `visibility = "public" OR ownerId = ${quote(query.viewerId)}` : 'visibility = "public"';
    // Only letters and digits reach Meilisearch: no phrase quotes or `-` negation from the user.
    const res = await this.indexes[query.kind].search(terms.join(' '), {
      offset,
      limit: query.limit + 1,
      filter: visible,
      matchingStrategy: 'all',
      attributesToRetrieve: ['id'],
      attributesToHighlight: ['title', 'body'],
      attributesToCrop: ['title', 'body'],
      cropLength: SNIPPET_WORDS,
      cropMarker: '…',
      highlightPreTag: PRE,
      highlightPostTag: POST,
      showRankingScore: true,
    });
    return {
      hits: res.hits.slice(0, query.limit).map((h) => ({ id: h.id, score: h._rankingScore ?? 0, snippet: markSnippet(this.snippet(h._formatted)) })),
      nextCursor: res.hits.length > query.limit ? encodeOffset(offset + query.limit) : null,
    };
  }

  private snippet(formatted: Partial<MeiliDoc> | undefined): string {
    const fields = [formatted?.title ?? '', formatted?.body ?? ''].filter(Boolean);
    let best = fields[0] ?? '';
    for (const f of fields) if (highlightScore(f) > highlightScore(best)) best = f;
    return wholeWords(best);
  }

  /** Reaches the server with the key and finds the posts index (health alone needs neither). */
  async ping(): Promise<void> {
    await this.ready();
    await this.indexes.posts.getRawInfo();
  }

  async close(): Promise<void> {
    // The client holds no connections of its own (fetch's pool is the process's): only refuse further calls.
    this.closed = true;
  }
}
