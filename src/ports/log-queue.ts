/**
 * The durable log queue between ingest (`POST /v1/logs`) and the log writer. Embedded: a
 * SQLite file next to the store; scale-out: NATS JetStream (`NATS_URL`).
 *
 * Durability and delivery rules every adapter guarantees:
 * - `enqueue` resolves only once the batch is durable: committed with an fsync (SQLite,
 *   WAL + synchronous=FULL) or acknowledged by the JetStream server. A crash or `kill -9` of
 *   the process after that loses nothing; the API answers 202 only then. A batch that could
 *   not be made durable rejects, and is not half-queued.
 * - Ids: each batch gets a sequence number when it is made durable; entry `i` of batch `seq`
 *   has the id `seq × 1024 + i` ({@link logId}), fixed from then on. Sequences only grow,
 *   and never start below the `minSeq` the queue was opened with (the composition root
 *   passes one above every id already stored), so an id is never given twice.
 * - Delivery is at least once: `take` hands out batches in sequence order; a batch stays
 *   queued until `ack`. A batch taken and never acknowledged (crash, close) is delivered
 *   again, to this or another consumer, with the same sequence, hence the same ids: the
 *   writer's insert skips ids already stored, so redelivery never duplicates a row.
 * - One consumer drains an embedded queue at a time (the writer); JetStream shares a
 *   durable work-queue consumer, so any number of writers drain it without overlap.
 * - Bound: when the queued bytes would exceed `maxBytes`, `enqueue` rejects with
 *   {@link LogQueueFullError} (nothing queued) so the API can answer 503 with Retry-After
 *   instead of accepting what it cannot store.
 * - `enqueue` may be called concurrently; concurrent batches each get their own sequence.
 *   `take` and `ack` are called by one consumer loop at a time.
 * - `close` waits for enqueues in flight; later calls reject.
 */
export interface LogQueue {
  readonly backend: 'sqlite' | 'nats';
  /** The largest payload one batch may carry (NATS: the server's max_payload); callers split below it. */
  readonly maxBatchBytes: number;
  /** Makes a batch durable; resolves with its sequence number. */
  enqueue(batch: LogBatchInput): Promise<{ seq: number }>;
  /**
   * Batches not yet acknowledged, oldest first: at least one (waiting up to `waitMs` for
   * one), at most `maxEntries` entries in all (a single larger batch is returned alone).
   */
  take(options: TakeOptions): Promise<QueuedLogBatch[]>;
  /** Removes delivered batches for good (only their `seq` is read). */
  ack(batches: readonly Pick<QueuedLogBatch, 'seq'>[]): Promise<void>;
  /** What is queued and not yet acknowledged (for backpressure and metrics). */
  stats(): Promise<LogQueueStats>;
  close(): Promise<void>;
}

export interface LogBatchInput {
  projectId: string;
  /** Entries in `payload` (1 … {@link MAX_BATCH_ENTRIES}). */
  count: number;
  /**
   * JSON array of entry tuples (src/modules/logs/entry.ts), UTF-8; opaque to the queue. Bytes,
   * not a string: they pass between threads, into SQLite and NATS without being re-encoded,
   * and outside the JavaScript heap.
   */
  payload: Uint8Array;
  /** Epoch ms the API received the batch. */
  receivedAt: number;
}

export interface TakeOptions {
  maxEntries: number;
  waitMs: number;
  /** Ends the wait early (the writer stopping); `take` then returns what it has, maybe nothing. */
  signal?: AbortSignal;
}

export interface QueuedLogBatch extends LogBatchInput {
  seq: number;
}

export interface LogQueueStats {
  batches: number;
  bytes: number;
}

/** Entries per batch at most: the id space of one sequence number. */
export const MAX_BATCH_ENTRIES = 1024;

/** The id of entry `index` of batch `seq`. Exact as a JS number for seq < 2^43. */
export function logId(seq: number, index: number): number {
  return seq * MAX_BATCH_ENTRIES + index;
}

/** The smallest sequence whose ids are all above `maxId` (the largest id stored). */
export function seqAbove(maxId: number): number {
  return Math.floor(maxId / MAX_BATCH_ENTRIES) + 1;
}

/** The queue is over its bound; retry after `retryAfterMs`. */
export class LogQueueFullError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('log queue is full');
    this.name = 'LogQueueFullError';
  }
}

/** UTF-8 size of a batch as the bound counts it. */
export function batchBytes(batch: LogBatchInput): number {
  return batch.payload.byteLength + batch.projectId.length + 32;
}
