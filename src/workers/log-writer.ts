import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import type { LogQueue, QueuedLogBatch } from '../ports/log-queue.ts';
import { batchEntries, type StoredEntry } from '../modules/logs/entry.ts';
import type { LogHotCache } from '../modules/logs/hot-cache.ts';
import type { IndexBacklog, LogStoreWriter } from '../modules/logs/store.ts';
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
  /**
   * While the queue is backlogged, indexing waits, unless the oldest unindexed entry is
   * older than this; then each cycle indexes as much as it wrote (default 30 s).
   */
  indexMaxLagMs?: number;
  onCycle?: (stats: WriteCycleStats) => void;
  onIndex?: (stats: IndexStats) => void;
}

export interface WriteCycleStats {
  batches: number;
  entries: number;
  duplicates: number;
  orphaned: number;
  /** Oldest batch's wait from arrival to stored, ms. */
  maxLagMs: number;
  /** Time the cycle spent writing the store (the transaction), and in all, ms. */
  storeMs: number;
  busyMs: number;
}

export interface IndexStats {
  entries: number;
  /** Time the index step took, ms. */
  busyMs: number;
  /** Entries left to index, and how long the oldest of them has waited (ms). */
  backlog: number;
  lagMs: number;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * Drains the log queue into the SQL store: take batches (oldest first), write them in one
 * transaction, refresh the hot cache, announce them to the live tail, and acknowledge them
 * once the store has made them durable. A crash anywhere before the acknowledgement means a
 * redelivery, which the store skips (ids are fixed at ingest): at least once in, exactly
 * once stored. A failing store is retried with backoff, with the same batches, never skipped.
 *
 * Durability is pipelined: the store's `sync` (an fsync) runs while the next cycle writes,
 * and covers every cycle written before it started. Stores that index asynchronously are
 * given index steps between cycles: whenever the queue is not backlogged (so search trails
 * ingest by about one cycle), and under a backlog only once the index trails by more than
 * `indexMaxLagMs`: storing what was accepted comes first.
 */
export class LogWriter {
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly idle = new AbortController();
  /** Written, waiting for the store's sync, then the acknowledgement (only their seq: payloads can go). */
  private unacked: Array<Pick<QueuedLogBatch, 'seq'>> = [];
  private acking: Promise<void> | undefined;

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
      // At most one group of written batches waits behind the sync in flight: a slow disk
      // slows the writer down instead of piling up batches it has yet to acknowledge.
      if (this.acking && this.unacked.length > 0) await this.acking;
      const backlog = await this.indexBacklog();
      const batches = failing ?? (await this.take(backlog && backlog.entries > 0 ? 0 : (this.deps.idleWaitMs ?? 1_000)));
      if (batches.length > 0) {
        try {
          await this.cycle(batches);
          failing = undefined;
          backoff = 100;
        } catch (err) {
          failing = batches;
          this.deps.logger.error({ err, batches: batches.length }, 'log writer: store write failed; retrying');
          await sleep(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
      }
      if (backlog && (backlog.entries > 0 || batches.length > 0)) await this.indexStep(batches, backlog);
    }
    this.acking ??= this.acknowledge();
    await this.acking;
  }

  private async take(waitMs: number): Promise<QueuedLogBatch[]> {
    try {
      return await this.deps.queue.take({ maxEntries: this.deps.maxEntries, waitMs, signal: this.idle.signal });
    } catch (err) {
      if (!this.stopping) {
        this.deps.logger.error({ err }, 'log writer: queue read failed');
        await sleep(1_000);
      }
      return [];
    }
  }

  private async cycle(batches: QueuedLogBatch[]): Promise<void> {
    const { store, hotCache, tail, logger } = this.deps;
    const started = performance.now();
    const outcomes = await store.write(batches);
    const stored = performance.now();
    const written = batches.filter((_, i) => outcomes[i] === 'written');
    if (hotCache.enabled && written.length > 0) {
      await this.refreshCache(written).catch((err: unknown) => logger.warn({ err }, 'log writer: hot cache not updated'));
    }
    for (const b of written) await tail.emit(b);
    for (const b of batches) this.unacked.push({ seq: b.seq });
    this.acking ??= this.acknowledge();
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

  /**
   * Syncs the store, then acknowledges every batch written before the sync began; repeats
   * while cycles add more. A failing sync or acknowledgement is retried: the batches stay
   * queued meanwhile, so a crash only means their redelivery.
   */
  private async acknowledge(): Promise<void> {
    let backoff = 100;
    try {
      while (this.unacked.length > 0) {
        const list = this.unacked;
        this.unacked = [];
        for (;;) {
          try {
            await this.deps.store.sync();
            await this.deps.queue.ack(list);
            backoff = 100;
            break;
          } catch (err) {
            this.deps.logger.error({ err, batches: list.length }, 'log writer: store sync or queue acknowledgement failed; retrying');
            if (this.stopping) return;
            await sleep(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          }
        }
      }
    } finally {
      this.acking = undefined;
    }
  }

  private async indexBacklog(): Promise<IndexBacklog | undefined> {
    try {
      return await this.deps.store.indexBacklog?.();
    } catch (err) {
      this.deps.logger.error({ err }, 'log writer: index backlog not read');
      return undefined;
    }
  }

  private async indexStep(batches: QueuedLogBatch[], backlog: IndexBacklog): Promise<void> {
    const { store, maxEntries, logger } = this.deps;
    if (!store.index) return;
    const taken = batches.reduce((n, b) => n + b.count, 0);
    const lagMs = backlog.oldestAt === undefined ? 0 : Date.now() - backlog.oldestAt;
    const backlogged = taken >= maxEntries / 2;
    if (backlogged && lagMs <= (this.deps.indexMaxLagMs ?? 30_000)) return;
    const started = performance.now();
    try {
      const entries = await store.index(backlogged ? taken : maxEntries);
      this.deps.onIndex?.({ entries, busyMs: performance.now() - started, backlog: Math.max(0, backlog.entries + taken - entries), lagMs });
    } catch (err) {
      logger.error({ err }, 'log writer: indexing failed; retrying');
      await sleep(1_000);
    }
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
