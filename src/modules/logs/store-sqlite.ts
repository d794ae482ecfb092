import { closeSync, fsync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import type SQLite from 'better-sqlite3';
import { logId, MAX_BATCH_ENTRIES, type QueuedLogBatch } from '../../ports/log-queue.ts';
import { parsePayload } from './entry.ts';
import { MINUTE_MS, type IndexBacklog, type LogStoreWriter, type WriteOutcome } from './store.ts';

const fsyncAsync = promisify(fsync);

interface Statements {
  projectExists: SQLite.Statement<[string], { one: number }>;
  countRange: SQLite.Statement<[bigint, bigint], { n: number }>;
  insertRows: SQLite.Statement<{ base: bigint; p: string; payload: Uint8Array; received: number }>;
  addCounts: SQLite.Statement<{ p: string; lo: bigint; hi: bigint }>;
  addPending: SQLite.Statement<[bigint | number, bigint | number, number]>;
  insertRow: SQLite.Statement<unknown[]>;
  addCount: SQLite.Statement<{ p: string; minute: number; level: number; id: number }>;
  pendingRanges: SQLite.Statement<[], { n: number; size: number }>;
  indexText: SQLite.Statement<[number]>;
  indexTraces: SQLite.Statement<[number]>;
  donePending: SQLite.Statement<[number]>;
  backlog: SQLite.Statement<[], { entries: number | null; oldest: number | null }>;
  maxId: SQLite.Statement<[], { id: number | null }>;
  plan: SQLite.Statement<[number], { projectId: string; days: number }>;
  deleteOlder: SQLite.Statement<{ p: string; cutoff: number; limit: number }>;
  deleteCounts: SQLite.Statement<{ p: string; minute: number }>;
}

// Pending ranges one index step reads at most (a range is one batch: up to 1,024 entries).
const MAX_RANGES_PER_STEP = 1000;

/**
 * The SQLite writer (its own connection, in the writer's thread). A batch's rows and counts
 * are each one statement over the payload (`json_each`): the JSON is parsed and the rows
 * built inside SQLite, never in JavaScript. All batches of one call are one IMMEDIATE
 * transaction, committed without waiting for the disk; `sync` then fsyncs the WAL off this
 * thread, and the queue deletes a batch only after that (log-writer.ts).
 *
 * The full-text (`logs_fts`) and trace-id (`log_traces`) indexes are filled by `index`, in
 * bulk and later: each written batch's id range goes to `log_index_pending` in the write's
 * transaction, and an index step moves ranges from there into both indexes in one
 * transaction of its own, so a row is indexed exactly once whatever crashes when
 * (migration 0008, docs/logs.md).
 */
export class SqliteLogStoreWriter implements LogStoreWriter {
  private readonly s: Statements;
  private walFd: number | undefined;

  constructor(private readonly db: SQLite.Database) {
    const prepare = db.prepare.bind(db);
    this.s = {
      projectExists: prepare('select 1 as one from projects where id = ?'),
      countRange: prepare('select count(*) as n from logs where id between ? and ?'),
      // Bound numbers arrive as REAL; the id base is a BigInt so ids stay integers. The payload
      // arrives as a BLOB (bytes), which JSON functions would read as JSONB: cast to text.
      insertRows: prepare(`insert into logs (id, project_id, ts, level, message, service, trace_id, attributes, received_at)
        select @base + key, @p, value->>0, value->>1, value->>2, value->>3, value->>4, nullif(value->5, 'null'), cast(@received as integer) from json_each(cast(@payload as text))`),
      // Counts read the batch's rows back (a primary-key range, just written): cheaper than
      // parsing the payload again.
      addCounts: prepare(`insert into log_counts (project_id, minute, level, n, min_id, max_id)
        select @p, ts / ${MINUTE_MS}, level, count(*), min(id), max(id) from logs where id between @lo and @hi group by 2, 3
        on conflict (project_id, minute, level) do update set n = n + excluded.n, min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`),
      addPending: prepare('insert into log_index_pending (lo, hi, at) values (?, ?, ?)'),
      insertRow: prepare(`insert or ignore into logs (id, project_id, ts, level, message, service, trace_id, attributes, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      addCount: prepare(`insert into log_counts (project_id, minute, level, n, min_id, max_id) values (@p, @minute, @level, 1, @id, @id)
        on conflict (project_id, minute, level) do update set n = n + 1, min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`),
      pendingRanges: prepare(`select n, hi - lo + 1 as size from log_index_pending order by n limit ${MAX_RANGES_PER_STEP}`),
      // Rows in id order, as FTS5 builds its segments fastest; rows deleted since have nothing to index.
      indexText: prepare('insert into logs_fts (rowid, message) select l.id, l.message from log_index_pending p cross join logs l on l.id between p.lo and p.hi where p.n <= ?'),
      indexTraces: prepare(`insert or ignore into log_traces (trace_id, id)
        select l.trace_id, l.id from log_index_pending p cross join logs l on l.id between p.lo and p.hi where p.n <= ? and l.trace_id is not null`),
      donePending: prepare('delete from log_index_pending where n <= ?'),
      backlog: prepare('select sum(hi - lo + 1) as entries, min(at) as oldest from log_index_pending'),
      maxId: prepare('select max(id) as id from logs'),
      plan: prepare(`select p.id as projectId, coalesce(s.retention_days, ?) as days from projects p left join log_settings s on s.project_id = p.id`),
      deleteOlder: prepare('delete from logs where id in (select id from logs where project_id = @p and ts < @cutoff limit @limit)'),
      deleteCounts: prepare('delete from log_counts where project_id = @p and minute < @minute'),
    };
  }

  /** The writer's connection to the store file. */
  static configure(db: SQLite.Database): SQLite.Database {
    db.pragma('journal_mode = WAL');
    // Commits do not wait for the disk here: `sync` fsyncs the WAL on the thread pool while
    // this thread writes the next transaction, and only then are batches acknowledged.
    db.pragma('synchronous = NORMAL');
    // No per-row foreign-key check: `write` checks each batch's project inside its IMMEDIATE
    // transaction, where no other connection can delete it. Cascades are run by the
    // connection that deletes the project, which enforces them.
    db.pragma('foreign_keys = OFF');
    // A project deletion cascading over many rows holds the write lock for a while.
    db.pragma('busy_timeout = 60000');
    // The writer touches the right edge of the row table and its index, the indexer the
    // newest FTS5 segments and the trace pairs: keep them in memory as the store grows.
    db.pragma('cache_size = -8192');
    return db;
  }

  async write(batches: readonly QueuedLogBatch[]): Promise<WriteOutcome[]> {
    const at = Date.now();
    return this.db.transaction(() => batches.map((b) => this.writeOne(b, at))).immediate();
  }

  private writeOne(b: QueuedLogBatch, at: number): WriteOutcome {
    if (!this.s.projectExists.get(b.projectId)) return 'orphaned';
    const base = BigInt(b.seq) * BigInt(MAX_BATCH_ENTRIES);
    const range = { lo: base, hi: base + BigInt(b.count - 1) };
    const existing = this.s.countRange.get(range.lo, range.hi)?.n ?? 0;
    if (existing >= b.count) return 'duplicate';
    if (existing === 0) {
      this.s.insertRows.run({ base, p: b.projectId, payload: b.payload, received: b.receivedAt });
      this.s.addCounts.run({ p: b.projectId, ...range });
      this.s.addPending.run(range.lo, range.hi, at);
      return 'written';
    }
    // Part of the batch is stored (retention removed rows of a batch that is now
    // redelivered): add only the missing rows, their counts and their pending index entries.
    const tuples = parsePayload(b.payload);
    tuples.forEach((t, i) => {
      const id = logId(b.seq, i);
      const r = this.s.insertRow.run(id, b.projectId, t[0], t[1], t[2], t[3], t[4], t[5] === null ? null : JSON.stringify(t[5]), b.receivedAt);
      if (r.changes === 1) {
        this.s.addCount.run({ p: b.projectId, minute: Math.floor(t[0] / MINUTE_MS), level: t[1], id });
        this.s.addPending.run(id, id, at);
      }
    });
    return 'written';
  }

  /**
   * Makes every commit so far durable: fsync of the WAL file (any descriptor of the file
   * flushes it), on libuv's thread pool. SQLite at synchronous=FULL would do the same inside
   * each commit, blocking this thread for the disk's latency.
   */
  async sync(): Promise<void> {
    this.walFd ??= openSync(`${this.db.name}-wal`, 'r');
    await fsyncAsync(this.walFd);
  }

  async index(maxEntries: number): Promise<number> {
    return this.db
      .transaction(() => {
        let entries = 0;
        let last: number | undefined;
        for (const r of this.s.pendingRanges.iterate()) {
          if (last !== undefined && entries + r.size > maxEntries) break;
          entries += r.size;
          last = r.n;
        }
        if (last === undefined) return 0;
        this.s.indexText.run(last);
        this.s.indexTraces.run(last);
        this.s.donePending.run(last);
        return entries;
      })
      .immediate();
  }

  async indexBacklog(): Promise<IndexBacklog> {
    const r = this.s.backlog.get();
    return { entries: r?.entries ?? 0, oldestAt: r?.oldest ?? undefined };
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
        // Full-text entries and trace pairs follow the rows through triggers.
        const n = this.s.deleteOlder.run({ p: projectId, cutoff, limit }).changes;
        // Counts go by whole minutes: once the rows before the cutoff are gone, theirs go too.
        if (n < limit) this.s.deleteCounts.run({ p: projectId, minute: Math.floor(cutoff / MINUTE_MS) });
        return n;
      })
      .immediate();
  }

  async close(): Promise<void> {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    if (this.db.open) this.db.close();
  }
}
