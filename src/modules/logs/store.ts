import type { QueuedLogBatch } from '../../ports/log-queue.ts';

/**
 * What became of a queued batch at the store: `written`; `duplicate` (its ids are already
 * stored: a redelivery); `orphaned` (its project was deleted meanwhile: dropped).
 */
export type WriteOutcome = 'written' | 'duplicate' | 'orphaned';

/**
 * The writer's side of the SQL store (one implementation per dialect). `write` stores the
 * rows of every batch, their full-text entries and their per-minute counts, and returns
 * once that is durable; a batch whose ids are stored already is skipped whole, so
 * redelivered batches never add a row or a count twice.
 */
export interface LogStoreWriter {
  write(batches: readonly QueuedLogBatch[]): Promise<WriteOutcome[]>;
  /** The largest id stored (0 when none): queue sequences start above it. */
  maxId(): Promise<number>;
  /** Projects with their retention in days (`defaultDays` where none is set). */
  retentionPlan(defaultDays: number): Promise<Array<{ projectId: string; days: number }>>;
  /** Deletes at most `limit` entries of the project older than `cutoff`; returns how many. */
  deleteOlder(projectId: string, cutoff: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;
