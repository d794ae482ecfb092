import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import type { EventStream } from '../../ports/events.ts';
import type { SqlEventOutbox } from './sql-event-outbox.ts';

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  outbox: SqlEventOutbox;
  stream: EventStream;
  logger: Logger;
  /** Row locks (PostgreSQL): relays on several instances claim disjoint batches. */
  rowLocks: boolean;
  /**
   * The store runs statements on a pool of connections (PostgreSQL), so a wake can come
   * before its record is visible: look again shortly (COMMIT_GRACE_MS). Without a pool the
   * relay's read waits for the writer's commit, and an empty look means nothing is there.
   */
  pooled: boolean;
  pollMs: number;
  retentionMs: number;
  /**
   * After a drain that published, a wake waits until this long has passed since it, so a
   * steady stream of events shares one read and one update (default COALESCE_MS).
   */
  coalesceMs?: number;
  batchSize?: number;
  now?: () => number;
}

const SWEEP_EVERY_MS = 60_000;
const MAX_BACKOFF_MS = 10_000;
// A record written inside a transaction wakes the relay before the commit. With a pool of
// connections (PostgreSQL) the relay's first look can miss it, so after a wake that found
// nothing it looks again at 2, 4, 8 … ms for this long, instead of waiting for the poll.
const COMMIT_GRACE_MS = 500;
const FIRST_RECHECK_MS = 2;
// Under a steady stream of events (a sign-in each, at a hundred or more a second) a drain per
// event cost a read and an update each; batched over this window they cost a fraction of that
// on the event loop, for at most this much added delay. An event after a quiet spell goes at once.
const COALESCE_MS = 20;

/**
 * Moves recorded events from the outbox to the stream: at least once (a record is marked only
 * after the stream accepted it), oldest first. Woken by each new record, and polls for records
 * committed by other processes or left by a failed attempt.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;
  private lastSweep = 0;
  private wokenAt = Number.NEGATIVE_INFINITY;
  private recheckMs = FIRST_RECHECK_MS;
  /** When the last drain that published something ended (performance.now()). */
  private publishedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly o: OutboxRelayOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.schedule(0);
  }

  /** A record was written: publish soon (coalesced with a drain already running). */
  wake(): void {
    if (this.stopped) return;
    this.wokenAt = this.now();
    this.recheckMs = FIRST_RECHECK_MS;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(this.coalesceDelay());
  }

  /** How long a wake waits: until the coalescing window after the last publishing drain ends. */
  private coalesceDelay(): number {
    return Math.max(0, Math.ceil(this.publishedAt + (this.o.coalesceMs ?? COALESCE_MS) - performance.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Publishes everything pending now; resolves with how many events went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < (this.o.batchSize ?? 500)) return total;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.again = false;
    let published = 0;
    this.running = (async () => {
      try {
        published = await this.drain();
        this.failures = 0;
        if (this.now() - this.lastSweep > SWEEP_EVERY_MS) {
          this.lastSweep = this.now();
          await this.o.outbox.sweep(this.now() - this.o.retentionMs);
        }
      } catch (err) {
        this.failures += 1;
        this.o.logger.warn({ err, failures: this.failures }, 'event relay: publish failed; will retry');
      }
    })();
    await this.running;
    this.running = undefined;
    if (published > 0) this.publishedAt = performance.now();
    let delay = this.failures > 0 ? Math.min(MAX_BACKOFF_MS, this.o.pollMs * 2 ** this.failures) : this.again ? this.coalesceDelay() : this.o.pollMs;
    if (this.o.pooled && delay > this.recheckMs && published === 0 && this.now() - this.wokenAt < COMMIT_GRACE_MS) {
      delay = this.recheckMs;
      this.recheckMs *= 2;
    }
    this.schedule(delay);
  }

  private async batch(): Promise<number> {
    const limit = this.o.batchSize ?? 500;
    const { db, outbox, stream } = this.o;
    if (!this.o.rowLocks) {
      const events = await outbox.pending(db, limit, false);
      if (events.length === 0) return 0;
      await stream.publish(events);
      await outbox.markPublished(db, events.map((e) => e.id), this.now());
      return events.length;
    }
    return db.transaction().execute(async (trx) => {
      const events = await outbox.pending(trx, limit, true);
      if (events.length === 0) return 0;
      await stream.publish(events);
      await outbox.markPublished(trx, events.map((e) => e.id), this.now());
      return events.length;
    });
  }
}
