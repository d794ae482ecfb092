import { setImmediate as yieldNow } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import { MINUTE_MS, type LogStoreWriter } from '../modules/logs/store.ts';

export interface LogRetentionDeps {
  store: LogStoreWriter;
  logger: Logger;
  /** Days kept for projects without their own setting. */
  defaultDays: number;
  intervalMs: number;
  /** Rows per delete transaction: short transactions keep the writer (and SQLite readers) moving. */
  batch: number;
  now?: () => number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Enforces each project's retention: deletes entries older than its window in bounded
 * batches (full-text entries follow the rows; per-minute counts go by whole minutes, so the
 * cutoff is a minute boundary). Runs every `intervalMs`, and on demand.
 */
export class LogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: LogRetentionDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.deps.logger.error({ err }, 'log retention failed'));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** One pass over every project; returns the entries deleted. Concurrent calls share a pass. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => 0);
  }

  private async pass(): Promise<number> {
    const { store, batch } = this.deps;
    let total = 0;
    for (const { projectId, days } of await store.retentionPlan(this.deps.defaultDays)) {
      const cutoff = Math.floor((this.now() - days * DAY_MS) / MINUTE_MS) * MINUTE_MS;
      for (;;) {
        if (this.stopped) return total;
        const n = await store.deleteOlder(projectId, cutoff, batch);
        total += n;
        if (n < batch) break;
        // Let the writer's transactions in between batches.
        await yieldNow();
      }
    }
    if (total > 0) this.deps.logger.info({ deleted: total }, 'log retention: old entries deleted');
    return total;
  }
}
