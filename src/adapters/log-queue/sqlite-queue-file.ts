import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';

/**
 * The embedded log queue's file: one row per batch. AUTOINCREMENT, so a sequence number is
 * never handed out twice, even after the newest rows were acknowledged and deleted.
 */
export function openQueueFile(path: string, options: { busyTimeoutMs?: number } = {}): SQLite.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  // Commits do not wait for the disk: the producer fsyncs the WAL itself (on the thread pool)
  // before it acknowledges a batch, so one the API acknowledged survives power loss, not just
  // a crash. Consumers (acks) may lose a commit: that only means a redelivery.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  db.pragma('journal_size_limit = 67108864');
  // A FIFO of large rows: the producer writes each page once and the consumer reads it once,
  // so a page cache holds nothing worth keeping; SQLite's default (16 MB here) per
  // connection only grows the process (a transaction's dirty pages past it spill to the WAL).
  db.pragma('cache_size = -2048');
  db.exec(`create table if not exists log_queue (
    seq integer primary key autoincrement,
    project_id text not null,
    count integer not null,
    bytes integer not null,
    payload text not null,
    received_at integer not null
  )`);
  return db;
}

/** Makes the next sequence at least `minSeq` (sequences never go back). */
export function raiseSequence(db: SQLite.Database, minSeq: number): void {
  db.transaction(() => {
    const floor = Math.max(0, minSeq - 1);
    const updated = db.prepare("update sqlite_sequence set seq = max(seq, ?) where name = 'log_queue'").run(floor);
    if (updated.changes === 0) db.prepare("insert into sqlite_sequence (name, seq) values ('log_queue', ?)").run(floor);
  })();
}

/** The channel a committer announces new batches on, so a consumer in this process wakes at once. */
export function wakeChannelName(path: string): string {
  return `basalt:log-queue:${path}`;
}
