import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import type { LogQueue, QueuedLogBatch } from '../ports/log-queue.ts';
import { batchEntries, type StoredEntry } from '../modules/logs/entry.ts';
import type { LogHotCache } from '../modules/logs/hot-cache.ts';
import type { LogStoreWriter } from '../modules/logs/store.ts';
import type { TailSink } from '../modules/logs/tail.ts';

export interface LogWriterDeps {
  queue: LogQueue;
  store: LogStoreWriter;
  hotCache: LogHotCache;
  tail: TailSink;
  logger: Logger;
  /** Entries per store transaction at most (batches are never split). */
  maxEntries: number;
  /** How long one `take` waits for work before looping (shutdown latency). */
  idleWaitMs?: number;
  onCycle?: (stats: WriteCycleStats) => void;
}

export interface WriteCycleStats {
  batches: number;
  entries: number;
  duplicates: number;
  orphaned: number;
  /** Oldest batch's wait from arrival to stored, ms. */
  maxLagMs: number;
  /** Time the cycle spent writing the store (transaction, fsync included), and in all, ms. */
  storeMs: number;
  busyMs: number;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * Drains the log queue into the SQL store: take batches (oldest first), write them in one
 * durable transaction, refresh the hot cache, announce them to the live tail, and only then
 * acknowledge them. A crash anywhere before the acknowledgement means a redelivery, which
 * the store skips (ids are fixed at ingest): at least once in, exactly once stored.
 * A failing store is retried with backoff, with the same batches, never skipped.
 */
export class LogWriter {
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly idle = new AbortController();

  constructor(private readonly deps: LogWriterDeps) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Finishes the cycle in progress; what is still queued stays queued (durably). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.idle.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failing: QueuedLogBatch[] | undefined;
    let backoff = 100;
    while (!this.stopping) {
      const batches = failing ?? (await this.take());
      if (batches.length === 0) continue;
      try {
        await this.cycle(batches);
        failing = undefined;
        backoff = 100;
      } catch (err) {
        failing = batches;
        this.deps.logger.error({ err, batches: batches.length }, 'log writer: store write failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async take(): Promise<QueuedLogBatch[]> {
    try {
      return await this.deps.queue.take({ maxEntries: this.deps.maxEntries, waitMs: this.deps.idleWaitMs ?? 1_000, signal: this.idle.signal });
    } catch (err) {
      if (!this.stopping) {
        this.deps.logger.error({ err }, 'log writer: queue read failed');
        await sleep(1_000);
      }
      return [];
    }
  }

  private async cycle(batches: QueuedLogBatch[]): Promise<void> {
    const { store, hotCache, tail, queue, logger } = this.deps;
    const started = performance.now();
    const outcomes = await store.write(batches);
    const stored = performance.now();
    const written = batches.filter((_, i) => outcomes[i] === 'written');
    if (hotCache.enabled && written.length > 0) {
      await this.refreshCache(written).catch((err: unknown) => logger.warn({ err }, 'log writer: hot cache not updated'));
    }
    for (const b of written) await tail.emit(b);
    await queue.ack(batches);
    const now = Date.now();
    this.deps.onCycle?.({
      batches: batches.length,
      entries: written.reduce((n, b) => n + b.count, 0),
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      orphaned: outcomes.filter((o) => o === 'orphaned').length,
      maxLagMs: Math.max(0, ...batches.map((b) => now - b.receivedAt)),
      storeMs: stored - started,
      busyMs: performance.now() - started,
    });
  }

  /** Only the newest entries per project can stay in the cache: parse just the batches holding them. */
  private async refreshCache(written: QueuedLogBatch[]): Promise<void> {
    const { hotCache } = this.deps;
    const byProject = new Map<string, QueuedLogBatch[]>();
    for (const b of written) {
      const list = byProject.get(b.projectId);
      if (list) list.push(b);
      else byProject.set(b.projectId, [b]);
    }
    await Promise.all(
      [...byProject].map(([projectId, list]) => {
        const picked: StoredEntry[][] = [];
        let n = 0;
        for (let i = list.length - 1; i >= 0 && n < hotCache.options.entries; i--) {
          const b = list[i] as QueuedLogBatch;
          picked.push(batchEntries(b.seq, b.payload, b.receivedAt));
          n += b.count;
        }
        return hotCache.push(projectId, picked.reverse().flat());
      }),
    );
  }
}
