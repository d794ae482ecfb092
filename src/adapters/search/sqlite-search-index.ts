import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { decodeOffset, encodeOffset, queryTerms, type SearchDocument, type SearchIndex, type SearchKind, type SearchQuery, type SearchResult } from '../../ports/search-index.ts';
import { snippetHtml } from './snippet.ts';

export interface SqliteSearchIndexOptions {
  path: string;
  /** How many of the most recently indexed matches a query ranks (see `search`). */
  candidates?: number;
}

const SCHEMA_VERSION = 1;

/**
 * Embedded search: an FTS5 table in its own SQLite file (DATA_DIR/search.db), so index
 * writes never contend with the main database. bm25 ranks; title weighs twice the body.
 */
export class SqliteSearchIndex implements SearchIndex {
  readonly backend = 'sqlite' as const;
  private readonly db: SQLite.Database;
  private readonly del: (kind: string, id: string) => void;
  private readonly ins: (d: SearchDocument) => void;
  private readonly ranked: SQLite.Statement<[string, string, string, number, number], { doc: number; score: number }>;
  private readonly text: SQLite.Statement<[number], { id: string; title: string; body: string }>;

  readonly path: string;

  constructor(options: SqliteSearchIndexOptions) {
    this.path = options.path;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new SQLite(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`create virtual table if not exists search_docs using fts5(
      kind unindexed, id unindexed, owner unindexed, visibility unindexed, created_at unindexed,
      title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')`);
    // FTS5 cannot index (kind, id): a keyed side table maps them to the FTS rowid, so an
    // upsert or delete touches one row instead of scanning the index.
    this.db.exec('create table if not exists search_keys (kind text not null, id text not null, doc integer not null, primary key (kind, id)) without rowid');
    // Who may see a row, by FTS rowid: filtering on FTS5's unindexed columns reads each
    // match's whole content row (title and body); this is one integer-key lookup.
    this.db.exec('create table if not exists search_meta (doc integer primary key, kind text not null, owner text not null, visibility text not null)');
    if ((this.db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION) {
      this.db.transaction(() => {
        this.db.exec('insert or replace into search_meta (doc, kind, owner, visibility) select rowid, kind, owner, visibility from search_docs');
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    const lookup = this.db.prepare<[string, string], { doc: number }>('select doc from search_keys where kind = ? and id = ?');
    const dropDoc = this.db.prepare('delete from search_docs where rowid = ?');
    const dropMeta = this.db.prepare('delete from search_meta where doc = ?');
    const dropKey = this.db.prepare('delete from search_keys where kind = ? and id = ?');
    const insDoc = this.db.prepare('insert into search_docs (kind, id, owner, visibility, created_at, title, body) values (?, ?, ?, ?, ?, ?, ?)');
    const insMeta = this.db.prepare('insert into search_meta (doc, kind, owner, visibility) values (?, ?, ?, ?)');
    const insKey = this.db.prepare('insert into search_keys (kind, id, doc) values (?, ?, ?)');
    this.del = (kind, id) => {
      const row = lookup.get(kind, id);
      if (!row) return;
      dropDoc.run(row.doc);
      dropMeta.run(row.doc);
      dropKey.run(kind, id);
    };
    this.ins = (d) => {
      const doc = insDoc.run(d.kind, d.id, d.ownerId, d.visibility, d.createdAt, d.title, d.body).lastInsertRowid;
      insMeta.run(doc, d.kind, d.ownerId, d.visibility);
      insKey.run(d.kind, d.id, doc);
    };
    // bm25 over every match of a common word costs a few µs per match (100,000 posts: ~150 ms
    // for a word in most of them). FTS5 walks matches newest rowid first and stops after
    // `candidates` visible ones; only those are ranked. Snippets are made for the page alone.
    const candidates = Math.max(1, Math.floor(options.candidates ?? 1000));
    this.ranked = this.db.prepare(
      `select doc, score from (
         select f.rowid as doc, -bm25(search_docs, 0, 0, 0, 0, 0, 2.0, 1.0) as score
           from search_docs f join search_meta m on m.doc = f.rowid
          where search_docs match ? and m.kind = ? and (m.visibility = 'public' or m.owner = ?)
          order by f.rowid desc limit ${candidates})
       order by score desc, doc desc limit ? offset ?`,
    );
    this.text = this.db.prepare('select id, title, body from search_docs where rowid = ?');
  }

  async upsert(docs: readonly SearchDocument[]): Promise<void> {
    this.db.transaction(() => {
      for (const d of docs) {
        this.del(d.kind, d.id);
        this.ins(d);
      }
    })();
  }

  async remove(kind: SearchKind, ids: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const id of ids) this.del(kind, id);
    })();
  }

  /**
   * Ranks (bm25) at most `candidates` (1,000) matches: the most recently indexed ones the
   * viewer may see. A query matching fewer is ranked exactly; for a very common word the
   * best of the newest 1,000 come first, and paging ends there.
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    const terms = queryTerms(query.q);
    if (terms.length === 0) return { hits: [], nextCursor: null };
    // Every term quoted (no FTS syntax from the user), the last as a prefix.
    const match = terms.map((t, i) => `"${t}"${i === terms.length - 1 ? '*' : ''}`).join(' ');
    const offset = decodeOffset(query.cursor);
    const rows = this.ranked.all(match, query.kind, query.viewerId ?? '', query.limit + 1, offset);
    const more = rows.length > query.limit;
    const hits = rows.slice(0, query.limit).flatMap((r) => {
      const doc = this.text.get(r.doc);
      return doc ? [{ id: doc.id, score: r.score, snippet: snippetHtml([doc.title, doc.body], terms) }] : [];
    });
    return { hits, nextCursor: more ? encodeOffset(offset + query.limit) : null };
  }

  async ping(): Promise<void> {
    this.db.prepare('select 1').get();
  }

  /** From now on the WAL checkpointer thread checkpoints this file (src/workers/wal-checkpointer.ts). */
  checkpointExternally(): void {
    this.db.pragma('wal_autocheckpoint = 0');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
