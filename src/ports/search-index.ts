/**
 * The search index: full-text over posts and users, fed by the search indexer worker from
 * domain events. Embedded: SQLite FTS5; scale-out: PostgreSQL full-text or Meilisearch.
 *
 * Rules every adapter guarantees:
 * - `upsert` and `remove` are idempotent and keyed by (kind, id): replaying an event is harmless.
 *   When they resolve, the change is visible to `search` (Meilisearch: its task has been applied).
 * - Concurrent `upsert`s of one document leave one of the written versions, never a mix.
 * - `search` matches every query word, the last one as a prefix (type-ahead), ranks by
 *   relevance, and never returns a `private` document to anyone but its owner (`viewerId`).
 * - Snippets are HTML-safe: document text is escaped, matches wrapped in `<mark>…</mark>`.
 * - A query with no searchable words returns no hits (never an error); a backend fault
 *   rejects (the search service answers 500 `meilisearch:query_failed`, the seed's code for any failing search backend).
 * - The cursor is opaque and only valid for the same query and viewer.
 */

export type SearchKind = 'posts' | 'users';

export interface SearchDocument {
  kind: SearchKind;
  id: string;
  /** Posts: the title; users: handle and display name. */
  title: string;
  /** Posts: the body; users: the bio. */
  body: string;
  visibility: 'public' | 'private';
  ownerId: string;
  createdAt: number;
}

export interface SearchQuery {
  kind: SearchKind;
  q: string;
  viewerId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface SearchHit {
  id: string;
  /** Higher is better; comparable only within one result list. */
  score: number;
  snippet: string;
}

export interface SearchResult {
  hits: SearchHit[];
  nextCursor: string | null;
}

export interface SearchIndex {
  readonly backend: 'sqlite' | 'postgres' | 'meilisearch';
  upsert(docs: readonly SearchDocument[]): Promise<void>;
  remove(kind: SearchKind, ids: readonly string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The words of a query (letters and digits), at most 8, lower-cased. */
export function queryTerms(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' } as Record<string, string>)[c]};`);
}

/** Escapes a snippet whose matches the backend wrapped in \u0001…\u0002, then marks them. */
export function markSnippet(raw: string): string {
  return escapeHtml(raw).replace(/\u0001/g, '<mark>').replace(/\u0002/g, '</mark>');
}

export function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

/** The offset in a cursor; 0 for a malformed one (the first page, never an error). */
export function decodeOffset(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 && o <= 10_000 ? o : 0;
  } catch {
    return 0;
  }
}
