import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Logs (docs/logs.md). Rows hang off projects with ON DELETE CASCADE, so deleting a project
// or its workspace removes its logs, counts and settings.
//
// `id` is assigned at ingest from the entry's place in the durable queue (batch sequence ×
// 1024 + index), so a batch delivered twice writes no row twice. `level` is 0 (trace) … 5
// (fatal), so "warn and above" is a range. Timestamps are epoch ms.
//
// Full text: SQLite keeps a contentless FTS5 index (rowid = log id) that the writer fills in
// bulk in the same transaction as the rows; a trigger-maintained index would cut the insert
// rate about twelvefold. Deletes (retention, cascades) go through a trigger, which costs
// only on delete. PostgreSQL keeps a generated tsvector column under a GIN index.
//
// `log_counts` holds counts per project, minute and level, added by the writer in the same
// transaction as the rows: histograms over millions of rows read thousands of counts. Its
// id bounds (every row of that minute and level has an id between them) narrow full-text
// searches over a time range to the ids that can be in it.
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = isPostgres(db);
  let logs = db.schema
    .createTable('logs')
    // SQLite: only `integer primary key` makes the id the rowid (which FTS5 rows point at).
    .addColumn('id', postgres ? 'bigint' : 'integer', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(40)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('level', 'smallint', (c) => c.notNull())
    .addColumn('service', 'varchar(128)')
    .addColumn('trace_id', 'varchar(128)')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('attributes', postgres ? 'jsonb' : 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull());
  if (postgres) {
    logs = logs.addColumn('tsv', sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector('simple', message)`).stored().notNull());
  }
  await logs.execute();
  // Newest-first pages and histograms scan this index only: (ts, id) is the sort key and
  // level is checked without touching the row.
  await db.schema.createIndex('logs_project_ts').on('logs').columns(['project_id', 'ts', 'id', 'level']).execute();
  await db.schema
    .createIndex('logs_project_trace')
    .on('logs')
    .columns(['project_id', 'trace_id'])
    .where(sql.ref('trace_id'), 'is not', null)
    .execute();

  if (postgres) {
    await sql`create index logs_tsv on logs using gin (tsv)`.execute(db);
  } else {
    // detail=none: queries are ANDs of words and prefixes (never phrases), so positions are
    // not kept; the index is smaller and cheaper to build.
    await sql`create virtual table logs_fts using fts5(message, content='', contentless_delete=1, detail=none, tokenize='unicode61')`.execute(db);
    await sql`create trigger logs_fts_delete after delete on logs begin delete from logs_fts where rowid = old.id; end`.execute(db);
  }

  await db.schema
    .createTable('log_counts')
    .addColumn('project_id', 'varchar(40)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('level', 'smallint', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addColumn('min_id', 'bigint', (c) => c.notNull())
    .addColumn('max_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_counts_pk', ['project_id', 'minute', 'level'])
    .execute();

  await db.schema
    .createTable('log_settings')
    .addColumn('project_id', 'varchar(40)', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('retention_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('log_settings').execute();
  await db.schema.dropTable('log_counts').execute();
  if (!isPostgres(db)) {
    await sql`drop trigger if exists logs_fts_delete`.execute(db);
    await sql`drop table if exists logs_fts`.execute(db);
  }
  await db.schema.dropTable('logs').execute();
}
