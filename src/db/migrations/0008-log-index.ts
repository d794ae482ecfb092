import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Logs on SQLite: the full-text and trace-id indexes leave the writer's transaction
// (docs/logs.md, "Indexing"). The writer stores rows, their (project, ts) index and the
// per-minute counts, and records each written id range in `log_index_pending`; the indexer
// later adds those ranges to `logs_fts` and `log_traces` and deletes them from the pending
// list in one transaction, so every stored row is indexed exactly once, crash or not.
//
// The trace-id index was a b-tree on `logs` whose inserts land at random: about a third of
// the writer's time per row. `log_traces` keeps (trace id, log id) pairs instead (no project:
// shorter keys; the query joins `logs` and checks the project), filled in bulk by the
// indexer. Until a range is indexed, trace-id queries read its rows from `log_index_pending`.
//
// PostgreSQL keeps its indexes as they are (generated tsvector under GIN, the trace b-tree):
// its writer is not the bottleneck the embedded store's single writer is.
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  // `at`: when the range was written (epoch ms), so the indexer knows how far it trails.
  await sql`create table log_index_pending (n integer primary key, lo integer not null, hi integer not null, at integer not null)`.execute(db);
  await sql`create table log_traces (trace_id text not null, id integer not null, primary key (trace_id, id)) without rowid`.execute(db);
  await sql`insert into log_traces (trace_id, id) select trace_id, id from logs where trace_id is not null`.execute(db);
  await sql`drop index logs_project_trace`.execute(db);
  // Deletes (retention, cascades from projects) follow through triggers, as for FTS5: a row
  // deleted before it is indexed has nothing to remove, and the indexer no longer finds it.
  await sql`create trigger logs_traces_delete after delete on logs when old.trace_id is not null begin
    delete from log_traces where trace_id = old.trace_id and id = old.id; end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await sql`drop trigger if exists logs_traces_delete`.execute(db);
  // Rows still pending get their full-text entries, as the writer used to add them.
  await sql`insert into logs_fts (rowid, message) select l.id, l.message from log_index_pending p cross join logs l on l.id between p.lo and p.hi`.execute(db);
  await sql`drop table log_index_pending`.execute(db);
  await sql`drop table log_traces`.execute(db);
  await sql`create index logs_project_trace on logs (project_id, trace_id) where trace_id is not null`.execute(db);
}
