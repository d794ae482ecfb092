import type SQLite from 'better-sqlite3';
import { logId, MAX_BATCH_ENTRIES, type QueuedLogBatch } from '../../ports/log-queue.ts';
import type { EntryTuple } from './entry.ts';
import { MINUTE_MS, type LogStoreWriter, type WriteOutcome } from './store.ts';

interface Statements {
  projectExists: SQLite.Statement<[string], { one: number }>;
  countRange: SQLite.Statement<[bigint, bigint], { n: number }>;
  insertRows: SQLite.Statement<{ base: bigint; p: string; payload: string; received: number }>;
  insertFts: SQLite.Statement<{ lo: bigint; hi: bigint }>;
  addCounts: SQLite.Statement<{ p: string; lo: bigint; hi: bigint }>;
  insertRow: SQLite.Statement<unknown[]>;
  insertFtsRow: SQLite.Statement<[number, string]>;
  addCount: SQLite.Statement<{ p: string; minute: number; level: number; id: number }>;
  maxId: SQLite.Statement<[], { id: number | null }>;
  plan: SQLite.Statement<[number], { projectId: string; days: number }>;
  deleteOlder: SQLite.Statement<{ p: string; cutoff: number; limit: number }>;
  deleteCounts: SQLite.Statement<{ p: string; minute: number }>;
}

/**
 * The SQLite writer (its own connection, in the writer's thread). A batch's rows, FTS5
 * entries and counts are each one statement over the payload (`json_each`): the JSON is
 * parsed and the rows built inside SQLite, never in JavaScript. All batches of one call
 * are one IMMEDIATE transaction and one fsync (the connection runs synchronous=FULL: the
 * queue deletes a batch only after this commit).
 */
export class SqliteLogStoreWriter implements LogStoreWriter {
  private readonly s: Statements;

  constructor(private readonly db: SQLite.Database) {
    const prepare = db.prepare.bind(db);
    this.s = {
      projectExists: prepare('select 1 as one from projects where id = ?'),
      countRange: prepare('select count(*) as n from logs where id between ? and ?'),
      // Bound numbers arrive as REAL; the id base is a BigInt so ids stay integers.
      insertRows: prepare(`insert into logs (id, project_id, ts, level, message, service, trace_id, attributes, received_at)
        select @base + key, @p, value->>0, value->>1, value->>2, value->>3, value->>4, nullif(value->5, 'null'), cast(@received as integer) from json_each(@payload)`),
      // Index entries and counts read the batch's rows back (a primary-key range, just written):
      // cheaper than parsing the payload twice more.
      insertFts: prepare(`insert into logs_fts (rowid, message) select id, message from logs where id between @lo and @hi`),
      addCounts: prepare(`insert into log_counts (project_id, minute, level, n, min_id, max_id)
        select @p, ts / ${MINUTE_MS}, level, count(*), min(id), max(id) from logs where id between @lo and @hi group by 2, 3
        on conflict (project_id, minute, level) do update set n = n + excluded.n, min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`),
      insertRow: prepare(`insert or ignore into logs (id, project_id, ts, level, message, service, trace_id, attributes, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertFtsRow: prepare('insert into logs_fts (rowid, message) values (?, ?)'),
      addCount: prepare(`insert into log_counts (project_id, minute, level, n, min_id, max_id) values (@p, @minute, @level, 1, @id, @id)
        on conflict (project_id, minute, level) do update set n = n + 1, min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`),
      maxId: prepare('select max(id) as id from logs'),
      plan: prepare(`select p.id as projectId, coalesce(s.retention_days, ?) as days from projects p left join log_settings s on s.project_id = p.id`),
      deleteOlder: prepare('delete from logs where id in (select id from logs where project_id = @p and ts < @cutoff limit @limit)'),
      deleteCounts: prepare('delete from log_counts where project_id = @p and minute < @minute'),
    };
  }

  /** The writer's connection to the store file: durable commits. */
  static configure(db: SQLite.Database): SQLite.Database {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // No per-row foreign-key check: `write` checks each batch's project inside its IMMEDIATE
    // transaction, where no other connection can delete it. Cascades are run by the
    // connection that deletes the project, which enforces them.
    db.pragma('foreign_keys = OFF');
    // A project deletion cascading over many rows holds the write lock for a while.
    db.pragma('busy_timeout = 60000');
    // The writer touches the right edge of every index: keep them in memory as the store grows.
    db.pragma('cache_size = -32768');
    return db;
  }

  async write(batches: readonly QueuedLogBatch[]): Promise<WriteOutcome[]> {
    return this.db.transaction(() => batches.map((b) => this.writeOne(b))).immediate();
  }

  private writeOne(b: QueuedLogBatch): WriteOutcome {
    if (!this.s.projectExists.get(b.projectId)) return 'orphaned';
    const base = BigInt(b.seq) * BigInt(MAX_BATCH_ENTRIES);
    const range = { lo: base, hi: base + BigInt(b.count - 1) };
    const existing = this.s.countRange.get(range.lo, range.hi)?.n ?? 0;
    if (existing >= b.count) return 'duplicate';
    if (existing === 0) {
      this.s.insertRows.run({ base, p: b.projectId, payload: b.payload, received: b.receivedAt });
      this.s.insertFts.run(range);
      this.s.addCounts.run({ p: b.projectId, ...range });
      return 'written';
    }
    // Part of the batch is stored (retention removed rows of a batch that is now
    // redelivered): add only the missing rows, their index entries and counts.
    const tuples = JSON.parse(b.payload) as EntryTuple[];
    tuples.forEach((t, i) => {
      const id = logId(b.seq, i);
      const r = this.s.insertRow.run(id, b.projectId, t[0], t[1], t[2], t[3], t[4], t[5] === null ? null : JSON.stringify(t[5]), b.receivedAt);
      if (r.changes === 1) {
        this.s.insertFtsRow.run(id, t[2]);
        this.s.addCount.run({ p: b.projectId, minute: Math.floor(t[0] / MINUTE_MS), level: t[1], id });
      }
    });
    return 'written';
  }

  async maxId(): Promise<number> {
    return this.s.maxId.get()?.id ?? 0;
  }

  async retentionPlan(defaultDays: number): Promise<Array<{ projectId: string; days: number }>> {
    return this.s.plan.all(defaultDays);
  }

  async deleteOlder(projectId: string, cutoff: number, limit: number): Promise<number> {
    return this.db
      .transaction(() => {
        const n = this.s.deleteOlder.run({ p: projectId, cutoff, limit }).changes;
        // Counts go by whole minutes: once the rows before the cutoff are gone, theirs go too.
        if (n < limit) this.s.deleteCounts.run({ p: projectId, minute: Math.floor(cutoff / MINUTE_MS) });
        return n;
      })
      .immediate();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
