import type { QueuedLogBatch } from '../../ports/log-queue.ts';

/**
 * What became of a queued batch at the store: `written`; `duplicate` (its ids are already
 * stored: a redelivery); `orphaned` (its project was deleted meanwhile: dropped).
 */
export type WriteOutcome = 'written' | 'duplicate' | 'orphaned';

/** The part of the store an asynchronous indexer still has to index. */
export interface IndexBacklog {
  /** Entries stored and not yet indexed. */
  entries: number;
  /** When the oldest of them was stored (epoch ms); undefined when none. */
  oldestAt: number | undefined;
}

/**
 * The writer's side of the SQL store (one implementation per dialect). `write` stores the
 * rows of every batch and their per-minute counts (and, where the store indexes
 * synchronously, their full-text entries); they are visible once it returns and durable
 * once `sync` resolves. A batch whose ids are stored already is skipped whole, so
 * redelivered batches never add a row or a count twice.
 */
export interface LogStoreWriter {
  write(batches: readonly QueuedLogBatch[]): Promise<WriteOutcome[]>;
  /** Resolves once everything `write` returned from is durable (on disk). */
  sync(): Promise<void>;
  /**
   * Stores that index asynchronously (SQLite: full text and trace ids): `index` adds up to
   * about `maxEntries` stored entries to the indexes, oldest first, exactly once; `backlog`
   * says what is left. Absent: `write` indexes as it stores (PostgreSQL).
   */
  index?(maxEntries: number): Promise<number>;
  indexBacklog?(): Promise<IndexBacklog>;
  /** The largest id stored (0 when none): queue sequences start above it. */
  maxId(): Promise<number>;
  /** Projects with their retention in days (`defaultDays` where none is set). */
  retentionPlan(defaultDays: number): Promise<Array<{ projectId: string; days: number }>>;
  /** Deletes at most `limit` entries of the project older than `cutoff`; returns how many. */
  deleteOlder(projectId: string, cutoff: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;
