import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { decodeOffset, encodeOffset, queryTerms, type SearchDocument, type SearchIndex, type SearchKind, type SearchQuery, type SearchResult } from '../../ports/search-index.ts';
import { snippetHtml } from './snippet.ts';

/** Rows per upsert statement (7 parameters each, far below PostgreSQL's 65,535). */
const UPSERT_BATCH = 500;

/** The weighted tsvector of a document (title A, body B), from SQL expressions for its text. */
const weighted = (title: unknown, body: unknown) => sql`setweight(to_tsvector('simple', ${title}), 'A') || setweight(to_tsvector('simple', ${body}), 'B')`;

/**
 * PostgreSQL full-text search in the main database, in two tables. `search_terms` is what a
 * query reads: per document its kind, owner, visibility, time and weighted tsvector (title A,
 * body B), with the GIN index and the newest-first index. Without the text it is ~40% narrower
 * than one table holding both, so more rows fit a page and the table stays in shared buffers;
 * finding and ranking the newest matches of a common word reads that much less. The text,
 * `search_documents`, is read for the page of results only (snippets). The 'simple'
 * configuration: no stemming, so prefix queries behave like the other backends for any language.
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
      primary key (kind, id))`.execute(db);
    await sql`create table if not exists search_terms (
      kind varchar(16) not null, id varchar(64) not null, owner_id varchar(64) not null,
      visibility varchar(16) not null, created_at bigint not null, tsv tsvector not null,
      primary key (kind, id))`.execute(db);
    // fastupdate off: with it on, new rows wait in the GIN "pending list", which every query
    // then scans linearly until (auto)vacuum merges it: after indexing 100,000 posts that list
    // held ~2,300 rows and added ~4 ms to every query's p95. Inserts pay the merge instead.
    await sql`create index if not exists search_terms_tsv on search_terms using gin (tsv) with (fastupdate = off)`.execute(db);
    // Newest first: for a common word the planner walks this and stops at `candidates` matches.
    await sql`create index if not exists search_terms_recent on search_terms (kind, created_at desc, id desc)`.execute(db);
    // A database indexed before the split (session 7) had the tsvector and both indexes on the
    // documents: their terms move over once, and what is no longer read stops costing writes.
    const { rows } = await sql<{ empty: boolean }>`select not exists (select 1 from search_terms) as empty`.execute(db);
    if (rows[0]?.empty) {
      await sql`insert into search_terms (kind, id, owner_id, visibility, created_at, tsv)
        select kind, id, owner_id, visibility, created_at, ${weighted(sql.ref('title'), sql.ref('body'))} from search_documents`.execute(db);
    }
    await sql`drop index if exists search_documents_recent`.execute(db);
    // Only when there is a column to drop: ALTER TABLE locks the table even when it has nothing
    // to do, and every instance's start would then wait for (and hold up) the searches in flight.
    const { rows: old } = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns
      where table_schema = current_schema() and table_name = 'search_documents' and column_name = 'tsv'`.execute(db);
    if ((old[0]?.n ?? 0) > 0) await sql`alter table search_documents drop column tsv`.execute(db);
    return new PostgresSearchIndex(db, Math.max(1, Math.floor(options.candidates ?? 1000)));
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    // One statement may not touch a row twice: the last version of a document wins.
    const latest = [...new Map(docs.map((d) => [`${d.kind}\u0000${d.id}`, d])).values()];
    for (let i = 0; i < latest.length; i += UPSERT_BATCH) {
      const batch = latest.slice(i, i + UPSERT_BATCH);
      const documents = batch.map((d) => sql`(${d.kind}, ${d.id}, ${d.ownerId}, ${d.visibility}, ${d.createdAt}, ${d.title}, ${d.body})`);
      const terms = batch.map((d) => sql`(${d.kind}, ${d.id}, ${d.ownerId}, ${d.visibility}, ${d.createdAt}, ${weighted(d.title, d.body)})`);
      // Both tables or neither: a query must never find terms without their document.
      await this.db.transaction().execute(async (trx) => {
        await sql`insert into search_documents (kind, id, owner_id, visibility, created_at, title, body)
          values ${sql.join(documents)}
          on conflict (kind, id) do update set owner_id = excluded.owner_id, visibility = excluded.visibility,
            created_at = excluded.created_at, title = excluded.title, body = excluded.body`.execute(trx);
        await sql`insert into search_terms (kind, id, owner_id, visibility, created_at, tsv)
          values ${sql.join(terms)}
          on conflict (kind, id) do update set owner_id = excluded.owner_id, visibility = excluded.visibility,
            created_at = excluded.created_at, tsv = excluded.tsv`.execute(trx);
      });
    }
  }

  async remove(kind: SearchKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await sql`delete from search_terms where kind = ${kind} and id in (${sql.join(ids)})`.execute(trx);
      await sql`delete from search_documents where kind = ${kind} and id in (${sql.join(ids)})`.execute(trx);
    });
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
    // The candidates carry only their row address (ctid), not the ~1 KB tsvector: sorting the
    // matches by time then moves a few bytes per row, and only the chosen rows are read again
    // (a TID scan) to rank them; the text is read for the page alone.
    const { rows } = await sql<{ id: string; score: number; title: string; body: string }>`
      with candidates as materialized (
        select t.ctid as tid from search_terms t
         where t.kind = ${query.kind} and t.tsv @@ to_tsquery('simple', ${tsquery}) and (t.visibility = 'public' or t.owner_id = ${query.viewerId ?? ''})
         order by t.created_at desc, t.id desc
         limit ${sql.lit(this.candidates)}),
      ranked as (
        select t.kind, t.id, ts_rank(t.tsv, to_tsquery('simple', ${tsquery})) as score from search_terms t
         where t.ctid = any(array(select tid from candidates))
         order by score desc, t.id desc
         limit ${query.limit + 1} offset ${offset})
      select r.id, r.score, d.title, d.body from ranked r join search_documents d on d.kind = r.kind and d.id = r.id
       order by r.score desc, r.id desc`.execute(this.db);
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
