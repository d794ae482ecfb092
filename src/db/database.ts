import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, createQueryId, sql, type Compilable, type CompiledQuery, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** What differs between backends, as flags: callers branch on a capability, not a dialect. */
export interface SqlCapabilities {
  dialect: Dialect;
  /** Several processes can write at once (PostgreSQL); SQLite serialises writers. */
  concurrentWriters: boolean;
  /** `SELECT … FOR UPDATE` row locks exist. */
  rowLocks: boolean;
  /**
   * Statements run on a pool of connections: a read may start before another connection's
   * commit is visible. SQLite's one connection serialises them, so a read that follows a
   * write's commit always sees it.
   */
  pooled: boolean;
}

export interface SqlStore {
  db: Kysely<Database>;
  capabilities: SqlCapabilities;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SqlStoreOptions {
  /** postgres:// URL; absent → SQLite at `sqlitePath`. */
  url?: string | undefined;
  sqlitePath: string;
  poolSize?: number;
  /** PostgreSQL schema to use (tests isolate themselves in one per run). */
  schema?: string;
}

/** Distinct SQL texts kept prepared; queries built with variable-length lists make more. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The connection as Kysely's SqliteDialect sees it, with prepared statements reused by SQL
 * text: preparing (parsing and planning) cost more than running the typical query. Reuse is
 * safe because Kysely runs one query at a time on its single SQLite connection (a stream
 * holds the connection until it ends); a statement still iterating is never handed out
 * again all the same. Past the bound the oldest statement goes: the set of query shapes an
 * application runs is small, so a hit costs one Map lookup and no bookkeeping.
 */
export function cachingDatabase(conn: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string): SqliteStatement {
      const hit = cache.get(text);
      if (hit !== undefined) return hit.busy ? conn.prepare(text) : hit;
      const stmt = conn.prepare(text);
      cache.set(text, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
    close(): void {
      cache.clear();
      conn.close();
    },
  };
}

/**
 * A query built and compiled once, then run with fresh parameter values. Building and
 * compiling a Kysely query (immutable nodes, a visitor pass) cost more than running a
 * primary-key lookup on SQLite, so the hottest lookups skip both. `build` is called once with
 * placeholders, one per parameter, each of which must appear where a value goes (compared
 * or inserted, not as an identifier or inside an `in` list). Works on either dialect: the
 * SQL is compiled by `db`'s own dialect.
 */
export function precompiled<Row, A extends unknown[]>(db: Kysely<Database>, build: (...params: A) => Compilable<Row>): (...args: A) => Promise<Row[]> {
  let compiled: { query: CompiledQuery<Row>; slots: number[] } | undefined;
  const prepare = (arity: number) => {
    // Unique objects, found again by identity among the compiled parameters.
    const placeholders = Array.from({ length: arity }, (_, i) => Object.freeze({ placeholder: i }));
    const query = build(...(placeholders as unknown as A)).compile();
    const slots = query.parameters.map((p) => placeholders.indexOf(p as (typeof placeholders)[number]));
    if (placeholders.some((_, i) => !slots.includes(i))) throw new Error(`precompiled: a placeholder is not a parameter of: ${query.sql}`);
    return { query, slots };
  };
  const direct = directSqlite.get(db);
  return async (...args: A) => {
    compiled ??= prepare(args.length);
    const { query, slots } = compiled;
    const parameters = slots.map((slot, i) => (slot === -1 ? query.parameters[i] : args[slot]));
    // SQLite, outside any transaction: run the statement here rather than through Kysely's
    // executor (connection lock, result plumbing: several microtask hops per query). Inside a
    // transaction the query must queue behind it, so it takes the normal path.
    if (direct !== undefined && !direct.conn.inTransaction) {
      const stmt = direct.statements.prepare(query.sql);
      if (stmt.reader) return stmt.all(parameters) as Row[];
    }
    const result = await db.executeQuery<Row>({ ...query, parameters, queryId: createQueryId() });
    return result.rows;
  };
}

/** The SQLite connection behind a store's Kysely instance (not its transactions). */
const directSqlite = new WeakMap<Kysely<Database>, { conn: SQLite.Database; statements: SqliteDatabase }>();

function openSqlite(path: string): SqlStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const conn = new SQLite(path);
  conn.pragma('journal_mode = WAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  conn.pragma('synchronous = NORMAL');
  const statements = cachingDatabase(conn);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  directSqlite.set(db, { conn, statements });
  return {
    db,
    capabilities: { dialect: 'sqlite', concurrentWriters: false, rowLocks: false, pooled: false },
    ping: async () => {
      conn.prepare('select 1').get();
    },
    close: () => db.destroy(),
  };
}

const INT8_OID = 20;
// Timestamps are epoch-ms bigints; read them as numbers (exact up to 2^53), as SQLite does.
const pgTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

function openPostgres(url: string, poolSize: number, schema?: string): SqlStore {
  const pool = new pg.Pool({
    connectionString: url,
    types: { getTypeParser: pgTypeParser },
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    capabilities: { dialect: 'postgres', concurrentWriters: true, rowLocks: true, pooled: true },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

export function openSqlStore(options: SqlStoreOptions): SqlStore {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10, options.schema) : openSqlite(options.sqlitePath);
}
