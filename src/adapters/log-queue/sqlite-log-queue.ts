import { once } from 'node:events';
import { BroadcastChannel, type Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { batchBytes, LogQueueFullError, type LogBatchInput, type LogQueue, type LogQueueStats, type QueuedLogBatch, type TakeOptions } from '../../ports/log-queue.ts';
import { startTsThread } from '../../workers/thread.ts';
import type { CommitterReply, CommitterRequest } from './sqlite-queue-committer.ts';
import { openQueueFile, wakeChannelName } from './sqlite-queue-file.ts';

export interface SqliteLogQueueOptions {
  /** The queue file (`DATA_DIR/log-queue.db`). */
  path: string;
  /** Sequences start at least here (see `seqAbove` in the port). */
  minSeq: number;
  /** Queued bytes beyond which `enqueue` refuses (LogQueueFullError). */
  maxBytes: number;
  /** How often `take` looks for batches when no committer in this process announced one. */
  pollMs?: number;
  /** Retry-After for a full queue. */
  retryAfterMs?: number;
}

interface Statements {
  read: SQLite.Statement<{ after: number }, Row>;
  del: SQLite.Statement<[number]>;
  stats: SQLite.Statement<[], { batches: number; bytes: number | null }>;
}

interface Row {
  seq: number;
  project_id: string;
  count: number;
  bytes: number;
  payload: string;
  received_at: number;
}

// Queued bytes are re-read at most this often; enqueues in between are added locally.
const STATS_REFRESH_MS = 100;

/**
 * The embedded log queue: a SQLite file, one row per batch (see src/ports/log-queue.ts).
 * Enqueues go to a committer thread that makes them durable in group commits (fsync off the
 * event loop); `take` / `ack` / `stats` use a connection of this thread. The API process
 * enqueues; the writer (its own instance on the same file, usually in another thread) takes.
 */
export class SqliteLogQueue implements LogQueue {
  readonly backend = 'sqlite' as const;
  /** A row may be large; the API's 5 MB request limit stays well below this. */
  readonly maxBatchBytes = 64 * 1024 * 1024;
  private conn: SQLite.Database | undefined;
  private statements: Statements | undefined;
  private committer: Worker | undefined;
  private committerReady: Promise<void> | undefined;
  private readonly waiting = new Map<number, { resolve: (seq: number) => void; reject: (err: Error) => void; bytes: number }>();
  private nextRequest = 1;
  private after = 0;
  private queuedBytes = 0;
  private statsAt = 0;
  private wake: BroadcastChannel | undefined;
  private wakeListeners = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SqliteLogQueueOptions) {}

  async enqueue(batch: LogBatchInput): Promise<{ seq: number }> {
    this.assertOpen();
    const bytes = batchBytes(batch);
    if (this.refreshedBytes() + bytes > this.options.maxBytes) throw new LogQueueFullError(this.options.retryAfterMs ?? 2_000);
    this.queuedBytes += bytes;
    const worker = await this.startCommitter();
    const id = this.nextRequest++;
    const seq = new Promise<number>((resolve, reject) => this.waiting.set(id, { resolve, reject, bytes }));
    worker.postMessage({ type: 'enqueue', id, projectId: batch.projectId, count: batch.count, bytes, payload: batch.payload, receivedAt: batch.receivedAt } satisfies CommitterRequest);
    return { seq: await seq };
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

  async ack(batches: readonly QueuedLogBatch[]): Promise<void> {
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
    this.closed = true;
    for (const l of this.wakeListeners) l();
    if (this.committer) {
      const worker = this.committer;
      await this.committerReady?.catch(() => {});
      const closedReply = new Promise<void>((resolve) => {
        worker.on('message', (m: CommitterReply) => m.type === 'closed' && resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ type: 'close' } satisfies CommitterRequest);
      await closedReply;
      await worker.terminate();
    }
    for (const w of this.waiting.values()) w.reject(new Error('log queue closed'));
    this.waiting.clear();
    this.wake?.close();
    this.conn?.close();
  }

  private read(maxEntries: number): QueuedLogBatch[] {
    const rows = this.prepared().read.iterate({ after: this.after });
    const out: QueuedLogBatch[] = [];
    let entries = 0;
    for (const r of rows) {
      if (out.length > 0 && entries + r.count > maxEntries) break;
      out.push({ seq: r.seq, projectId: r.project_id, count: r.count, payload: r.payload, receivedAt: r.received_at });
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
      // Batches sent to the committer and not yet committed are not in the file yet.
      let inFlight = 0;
      for (const w of this.waiting.values()) inFlight += w.bytes;
      this.queuedBytes = (row?.bytes ?? 0) + inFlight;
      this.statsAt = now;
    }
    return this.queuedBytes;
  }

  private connection(): SQLite.Database {
    if (this.closed) throw new Error('log queue is closed');
    this.conn ??= openQueueFile(this.options.path, { durable: false });
    return this.conn;
  }

  private prepared(): Statements {
    const db = this.connection();
    this.statements ??= {
      read: db.prepare('select seq, project_id, count, bytes, payload, received_at from log_queue where seq > @after order by seq limit 256'),
      del: db.prepare('delete from log_queue where seq = ?'),
      stats: db.prepare('select count(*) as batches, sum(bytes) as bytes from log_queue'),
    };
    return this.statements;
  }

  private startCommitter(): Promise<Worker> {
    if (!this.committer) {
      // Payloads only pass through: a small heap is plenty.
      const worker = startTsThread(new URL('./sqlite-queue-committer.ts', import.meta.url), { path: this.options.path, minSeq: this.options.minSeq }, 'basalt-log-queue', {
        maxYoungGenerationSizeMb: 8,
        maxOldGenerationSizeMb: 256,
      });
      this.committer = worker;
      worker.on('message', (m: CommitterReply) => this.onReply(m));
      worker.on('error', (err) => this.failAll(err));
      worker.on('exit', () => this.failAll(new Error('log queue committer exited')));
      this.committerReady = (async () => {
        const [first] = (await once(worker, 'message')) as [CommitterReply];
        if (first.type !== 'ready') throw new Error('log queue committer did not start');
      })();
      // Keep the queue from holding the process open; close() ends the thread properly.
      worker.unref();
    }
    const worker = this.committer;
    return (this.committerReady as Promise<void>).then(() => worker);
  }

  private onReply(m: CommitterReply): void {
    if (m.type === 'done') {
      for (const r of m.results) {
        const w = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        w?.resolve(r.seq);
      }
    } else if (m.type === 'failed') {
      for (const id of m.ids) {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        if (w) {
          this.queuedBytes -= w.bytes;
          w.reject(new Error(`log queue commit failed: ${m.message}`));
        }
      }
    }
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.committer = undefined;
    this.committerReady = undefined;
  }

  private waitForWake(ms: number, signal: AbortSignal | undefined): Promise<void> {
    this.wake ??= this.openWakeChannel();
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
