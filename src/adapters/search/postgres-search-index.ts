import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { decodeOffset, encodeOffset, queryTerms, type SearchDocument, type SearchIndex, type SearchKind, type SearchQuery, type SearchResult } from '../../ports/search-index.ts';
import { snippetHtml } from './snippet.ts';

/** Rows per upsert statement (7 parameters each, far below PostgreSQL's 65,535). */
const UPSERT_BATCH = 500;

/**
 * PostgreSQL full-text search in the main database: a table with a generated, weighted
 * tsvector (title A, body B) and a GIN index. The 'simple' configuration: no stemming, so
 * prefix queries behave like the other backends for any language.
 */
export class PostgresSearchIndex implements SearchIndex {
  readonly backend = 'postgres' as const;

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly candidates: number,
  ) {}

  /** `candidates`: how many of the newest matches a query ranks (see `search`). */
  static async open(db: Kysely<Database>, options: { candidates?: number } = {}): Promise<PostgresSearchIndex> {
    await sql`create table if not exists search_documents (
      kind varchar(16) not null, id varchar(64) not null, owner_id varchar(64) not null,
      visibility varchar(16) not null, created_at bigint not null, title text not null, body text not null,
      tsv tsvector generated always as (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')) stored,
      primary key (kind, id))`.execute(db);
    // fastupdate off: with it on, new rows wait in the GIN "pending list", which every query
    // then scans linearly until (auto)vacuum merges it: after indexing 100,000 posts that list
    // held ~2,300 rows and added ~4 ms to every query's p95. Inserts pay the merge instead.
    await sql`create index if not exists search_documents_tsv on search_documents using gin (tsv) with (fastupdate = off)`.execute(db);
    // An index made before this setting: switch it, and merge what its pending list still holds.
    const { rows } = await sql<{ on: boolean }>`select coalesce('fastupdate=off' <> all(reloptions), true) as on from pg_class where oid = 'search_documents_tsv'::regclass`.execute(db);
    if (rows[0]?.on) {
      await sql`alter index search_documents_tsv set (fastupdate = off)`.execute(db);
      await sql`select gin_clean_pending_list('search_documents_tsv'::regclass)`.execute(db);
    }
    // Newest first: for a common word the planner walks this and stops at `candidates` matches.
    await sql`create index if not exists search_documents_recent on search_documents (kind, created_at desc, id desc)`.execute(db);
    return new PostgresSearchIndex(db, Math.max(1, Math.floor(options.candidates ?? 1000)));
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    // One statement may not touch a row twice: the last version of a document wins.
    const latest = [...new Map(docs.map((d) => [`${d.kind}\u0000${d.id}`, d])).values()];
    for (let i = 0; i < latest.length; i += UPSERT_BATCH) {
      const rows = latest.slice(i, i + UPSERT_BATCH).map((d) => sql`(${d.kind}, ${d.id}, ${d.ownerId}, ${d.visibility}, ${d.createdAt}, ${d.title}, ${d.body})`);
      await sql`insert into search_documents (kind, id, owner_id, visibility, created_at, title, body)
        values ${sql.join(rows)}
        on conflict (kind, id) do update set owner_id = excluded.owner_id, visibility = excluded.visibility,
          created_at = excluded.created_at, title = excluded.title, body = excluded.body`.execute(this.db);
    }
  }

  async remove(kind: SearchKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await sql`delete from search_documents where kind = ${kind} and id in (${sql.join(ids)})`.execute(this.db);
  }

  /**
   * Like the FTS5 index: ranks (ts_rank) the newest `candidates` visible matches only, so a
   * common word does not rank every row; ts_rank runs on those, the snippet on the page.
   * The tsquery is inline (not a CTE) so the planner sees its selectivity and picks the GIN
   * index for rare words, the newest-first index for common ones.
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    const terms = queryTerms(query.q);
    if (terms.length === 0) return { hits: [], nextCursor: null };
    // Terms are letters and digits only, so they are safe inside a tsquery; the last is a prefix.
    const tsquery = terms.map((t, i) => (i === terms.length - 1 ? `${t}:*` : t)).join(' & ');
    const offset = decodeOffset(query.cursor);
    // The candidates carry only their row address (ctid), not the ~1-3 KB tsvector: sorting the
    // matches by time then moves a few bytes per row, and only the chosen rows are read again
    // (a TID scan) to rank them and take their text.
    const { rows } = await sql<{ id: string; score: number; title: string; body: string }>`
      with candidates as materialized (
        select d.ctid as tid from search_documents d
         where d.kind = ${query.kind} and d.tsv @@ to_tsquery('simple', ${tsquery}) and (d.visibility = 'public' or d.owner_id = ${query.viewerId ?? ''})
         order by d.created_at desc, d.id desc
         limit ${sql.lit(this.candidates)})
      select d.id, ts_rank(d.tsv, to_tsquery('simple', ${tsquery})) as score, d.title, d.body from search_documents d
       where d.ctid = any(array(select tid from candidates))
       order by score desc, d.id desc
       limit ${query.limit + 1} offset ${offset}`.execute(this.db);
    const more = rows.length > query.limit;
    return {
      hits: rows.slice(0, query.limit).map((r) => ({ id: r.id, score: Number(r.score), snippet: snippetHtml([r.title, r.body], terms) })),
      nextCursor: more ? encodeOffset(offset + query.limit) : null,
    };
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    // The SQL store owns the connection pool.
  }
}
