import { closeSync, fsync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { BroadcastChannel } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { batchBytes, LogQueueFullError, type LogBatchInput, type LogQueue, type LogQueueStats, type QueuedLogBatch, type TakeOptions } from '../../ports/log-queue.ts';
import { openQueueFile, raiseSequence, wakeChannelName } from './sqlite-queue-file.ts';

const fsyncAsync = promisify(fsync);

export interface SqliteLogQueueOptions {
  /** The queue file (`DATA_DIR/log-queue.db`). */
  path: string;
  /** Sequences start at least here (see `seqAbove` in the port). */
  minSeq: number;
  /** Queued bytes beyond which `enqueue` refuses (LogQueueFullError). */
  maxBytes: number;
  /** How often `take` looks for batches when no producer in this process announced one. */
  pollMs?: number;
  /** Retry-After for a full queue. */
  retryAfterMs?: number;
  /**
   * Who copies the WAL back into the file: `auto` (SQLite, inside whichever commit of this
   * connection crosses the threshold, blocking its thread) or `external` (a checkpointer
   * thread: src/workers/wal-checkpointer.ts).
   */
  walCheckpoints?: 'auto' | 'external';
}

interface Statements {
  insert: SQLite.Statement<[string, number, number, Uint8Array, number]>;
  read: SQLite.Statement<{ after: number }, Row>;
  del: SQLite.Statement<[number]>;
  stats: SQLite.Statement<[], { batches: number; bytes: number | null }>;
}

interface Row {
  seq: number;
  project_id: string;
  count: number;
  bytes: number;
  /** A BLOB: better-sqlite3 reads it as a Buffer, outside the JavaScript heap. */
  payload: Buffer | string;
  received_at: number;
}

interface Waiting {
  /** Until it is inserted: the payload is not held while the fsync is awaited. */
  batch: LogBatchInput | undefined;
  bytes: number;
  seq: number;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

// Queued bytes are re-read at most this often; enqueues in between are added locally.
const STATS_REFRESH_MS = 100;

/**
 * The embedded log queue: a SQLite file, one row per batch (see src/ports/log-queue.ts).
 *
 * Group commit without blocking the event loop: enqueues arriving in the same turn are
 * inserted in one transaction, committed without waiting for the disk (synchronous=NORMAL);
 * then an fsync of the WAL file runs on libuv's thread pool, and every batch committed
 * before it started is acknowledged (its `enqueue` resolves) once it returns. While one
 * fsync runs, later groups commit and wait for the next one, which covers them all. The
 * fsync is what SQLite's synchronous=FULL does inside each commit; WAL checkpoints (which
 * fsync too) run on a thread of their own (`walCheckpoints: 'external'`).
 *
 * The API process enqueues; the writer (its own instance on the same file, usually in
 * another thread) takes and acknowledges, woken through a BroadcastChannel.
 */
export class SqliteLogQueue implements LogQueue {
  readonly backend = 'sqlite' as const;
  /** A row may be large; the API's 5 MB request limit stays well below this. */
  readonly maxBatchBytes = 64 * 1024 * 1024;
  private conn: SQLite.Database | undefined;
  private statements: Statements | undefined;
  private producing = false;
  private pending: Waiting[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private unsynced: Waiting[] = [];
  private syncing: Promise<void> | undefined;
  private walFd: number | undefined;
  private after = 0;
  private queuedBytes = 0;
  private statsAt = 0;
  private wake: BroadcastChannel | undefined;
  private wakeListeners = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SqliteLogQueueOptions) {}

  enqueue(batch: LogBatchInput): Promise<{ seq: number }> {
    try {
      this.assertOpen();
      const bytes = batchBytes(batch);
      if (this.refreshedBytes() + bytes > this.options.maxBytes) throw new LogQueueFullError(this.options.retryAfterMs ?? 2_000);
      this.queuedBytes += bytes;
      this.pendingBytes += bytes;
      const seq = new Promise<number>((resolve, reject) => this.pending.push({ batch, bytes, seq: 0, resolve, reject }));
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After the requests already waiting in this turn: they join this transaction.
        setImmediate(() => this.flush());
      }
      return seq.then((s) => ({ seq: s }));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async take(options: TakeOptions): Promise<QueuedLogBatch[]> {
    this.assertOpen();
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const batches = this.read(options.maxEntries);
      if (batches.length > 0 || this.closed || options.signal?.aborted) return batches;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.waitForWake(Math.min(left, this.options.pollMs ?? 100), options.signal);
    }
  }

  async ack(batches: readonly Pick<QueuedLogBatch, 'seq'>[]): Promise<void> {
    if (batches.length === 0) return;
    const { del } = this.prepared();
    this.connection().transaction(() => {
      for (const b of batches) del.run(b.seq);
    })();
  }

  async stats(): Promise<LogQueueStats> {
    const row = this.prepared().stats.get();
    return { batches: row?.batches ?? 0, bytes: row?.bytes ?? 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Batches already handed over are committed and synced before the file closes.
    this.flush();
    await this.syncing;
    this.closed = true;
    for (const l of this.wakeListeners) l();
    this.wake?.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.conn?.close();
  }

  /** Commits the waiting batches (one transaction), announces them, and queues them for the next fsync. */
  private flush(): void {
    this.flushScheduled = false;
    const items = this.pending;
    if (items.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      const { insert } = this.producer();
      this.connection().transaction(() => {
        for (const w of items) {
          const b = w.batch as LogBatchInput;
          w.seq = Number(insert.run(b.projectId, b.count, w.bytes, b.payload, b.receivedAt).lastInsertRowid);
        }
      })();
    } catch (err) {
      for (const w of items) {
        this.queuedBytes -= w.bytes;
        w.reject(new Error(`log queue commit failed: ${err instanceof Error ? err.message : String(err)}`));
      }
      return;
    }
    this.wakeChannel().postMessage('new');
    for (const w of items) w.batch = undefined;
    this.unsynced.push(...items);
    this.syncing ??= this.syncLoop();
  }

  private async syncLoop(): Promise<void> {
    try {
      while (this.unsynced.length > 0) {
        const group = this.unsynced;
        this.unsynced = [];
        try {
          this.walFd ??= openSync(`${this.options.path}-wal`, 'r');
          await fsyncAsync(this.walFd);
          for (const w of group) w.resolve(w.seq);
        } catch (err) {
          // Committed but maybe not on disk: the caller is told it was not queued (it may be
          // stored all the same, as a request cut off by a crash can be).
          for (const w of group) w.reject(new Error(`log queue sync failed: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    } finally {
      this.syncing = undefined;
    }
  }

  private read(maxEntries: number): QueuedLogBatch[] {
    const rows = this.prepared().read.iterate({ after: this.after });
    const out: QueuedLogBatch[] = [];
    let entries = 0;
    for (const r of rows) {
      if (out.length > 0 && entries + r.count > maxEntries) break;
      // Queues written before payloads were bytes hold text.
      const payload = typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload;
      out.push({ seq: r.seq, projectId: r.project_id, count: r.count, payload, receivedAt: r.received_at });
      entries += r.count;
    }
    // Closing the iterator early releases the statement; `for … of` + break does it.
    const last = out.at(-1);
    if (last) this.after = last.seq;
    return out;
  }

  private refreshedBytes(): number {
    const now = Date.now();
    if (now - this.statsAt >= STATS_REFRESH_MS) {
      const row = this.prepared().stats.get();
      // Batches waiting for this turn's transaction are not in the file yet.
      this.queuedBytes = (row?.bytes ?? 0) + this.pendingBytes;
      this.statsAt = now;
    }
    return this.queuedBytes;
  }

  private connection(): SQLite.Database {
    if (this.closed) throw new Error('log queue is closed');
    if (!this.conn) {
      const conn = openQueueFile(this.options.path);
      if (this.options.walCheckpoints === 'external') conn.pragma('wal_autocheckpoint = 0');
      this.conn = conn;
    }
    return this.conn;
  }

  private prepared(): Statements {
    const db = this.connection();
    this.statements ??= {
      insert: db.prepare('insert into log_queue (project_id, count, bytes, payload, received_at) values (?, ?, ?, ?, ?)'),
      read: db.prepare('select seq, project_id, count, bytes, payload, received_at from log_queue where seq > @after order by seq limit 256'),
      del: db.prepare('delete from log_queue where seq = ?'),
      stats: db.prepare('select count(*) as batches, sum(bytes) as bytes from log_queue'),
    };
    return this.statements;
  }

  /** The statements, once this instance has raised the sequence to its floor (producers only). */
  private producer(): Statements {
    const s = this.prepared();
    if (!this.producing) {
      raiseSequence(this.connection(), this.options.minSeq);
      this.producing = true;
    }
    return s;
  }

  private wakeChannel(): BroadcastChannel {
    this.wake ??= this.openWakeChannel();
    return this.wake;
  }

  private waitForWake(ms: number, signal: AbortSignal | undefined): Promise<void> {
    this.wakeChannel();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeListeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeListeners.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  private openWakeChannel(): BroadcastChannel {
    const channel = new BroadcastChannel(wakeChannelName(this.options.path));
    channel.unref();
    channel.onmessage = () => {
      for (const l of [...this.wakeListeners]) l();
    };
    return channel;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('log queue is closed');
  }
}
