import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { gcraParams, gcraStep } from '../../lib/gcra.ts';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from '../../ports/rate-limiter.ts';

// Its own table in the embedded KV file: the KV store's tables stay the KV adapter's.
const SCHEMA = `create table if not exists rate_limit_gcra (key text primary key, tat integer not null) without rowid;`;

interface PendingHit {
  key: string;
  rule: RateLimitRule;
  cost: number;
  resolve(decision: RateLimitDecision): void;
  reject(err: unknown): void;
}

export interface SqliteRateLimiterOptions {
  /** File path (the embedded KV file, `<DATA_DIR>/kv.db`), or ':memory:'. */
  path: string;
  /**
   * How long a hit waits for another process's write lock. better-sqlite3 waits
   * synchronously, so this bounds the stall; past it the hit rejects (SQLITE_BUSY).
   */
  busyTimeoutMs?: number;
  /** How often keys whose budget is full again are deleted (they mean "absent" anyway). */
  sweepIntervalMs?: number;
}

/**
 * GCRA on SQLite through a connection of its own. An admitted hit is one statement: an
 * upsert whose WHERE clause is the GCRA test, so reading the TAT, deciding and writing are
 * one atomic step that SQLite serialises across connections and processes. A refused hit
 * writes nothing and reads the TAT once more only to say when to come back.
 *
 * Hits are decided on the next turn of the event loop, all hits of one turn in one
 * IMMEDIATE transaction: a commit costs far more than the upsert (file locks, a WAL
 * write), and under load many requests arrive per turn. Measured on the rate-limit bench,
 * this cut the limiter's server CPU per request by about three quarters.
 */
export class SqliteRateLimiter implements RateLimiter {
  readonly backend = 'sqlite' as const;
  private readonly conn: SQLite.Database;
  private readonly sweeper: NodeJS.Timeout;
  private readonly stmt;
  private readonly decideAll: (batch: readonly PendingHit[]) => RateLimitDecision[];
  private pending: PendingHit[] = [];

  readonly path: string;

  constructor(options: SqliteRateLimiterOptions) {
    this.path = options.path;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.conn = new SQLite(options.path);
    this.conn.pragma('journal_mode = WAL');
    this.conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 500))}`);
    this.conn.pragma('synchronous = NORMAL');
    this.conn.exec(SCHEMA);
    const c = this.conn;
    this.stmt = {
      get: c.prepare<{ key: string }, { tat: number }>('select tat from rate_limit_gcra where key = @key'),
      // Admit: TAT' = max(TAT, now) + increment, only if TAT' - tolerance <= now.
      admit: c.prepare<{ key: string; now: number; inc: number; tol: number }, { tat: number }>(
        `insert into rate_limit_gcra (key, tat) values (@key, @now + @inc)
         on conflict (key) do update set tat = max(rate_limit_gcra.tat, @now) + @inc
           where max(rate_limit_gcra.tat, @now) + @inc - @tol <= @now
         returning tat`,
      ),
      del: c.prepare('delete from rate_limit_gcra where key = @key'),
      sweep: c.prepare('delete from rate_limit_gcra where tat <= @now'),
    };
    this.decideAll = this.conn.transaction((batch: readonly PendingHit[]) => batch.map((h) => this.decide(h.key, h.rule, h.cost))).immediate;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  /** Deletes keys with their full budget back; returns how many. Runs on a timer. */
  sweep(): number {
    if (!this.conn.open) return 0;
    return this.stmt.sweep.run({ now: Date.now() * 1000 }).changes;
  }

  hit(key: string, rule: RateLimitRule, cost = 1): Promise<RateLimitDecision> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, rule, cost, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  /**
   * Hits made in one turn of the event loop share one IMMEDIATE transaction: each is still
   * decided atomically (the transaction holds the write lock), but the commit, the locks
   * and the WAL write are paid once per batch instead of once per request.
   */
  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    let decisions: RateLimitDecision[];
    try {
      const [only] = batch;
      // A lone hit needs no explicit transaction: its upsert commits on its own.
      decisions = batch.length === 1 && only ? [this.decide(only.key, only.rule, only.cost)] : this.decideAll(batch);
    } catch (err) {
      for (const h of batch) h.reject(err);
      return;
    }
    batch.forEach((h, i) => h.resolve(decisions[i] as RateLimitDecision));
  };

  private decide(key: string, rule: RateLimitRule, cost: number): RateLimitDecision {
    const nowUs = Date.now() * 1000;
    const { interval, tolerance } = gcraParams(rule);
    // A fresh key is inserted unconditionally, so a cost no budget covers must stop here.
    const admitted = cost <= rule.limit ? this.stmt.admit.get({ key, now: nowUs, inc: interval * cost, tol: tolerance }) : undefined;
    if (admitted) {
      return { allowed: true, limit: rule.limit, remaining: Math.floor((nowUs - (admitted.tat - tolerance)) / interval), resetAt: Math.ceil(admitted.tat / 1000), retryAfterMs: 0 };
    }
    const { decision } = gcraStep(this.stmt.get.get({ key })?.tat ?? null, nowUs, rule, cost);
    // The key may have lapsed between the two statements; the refusal stands either way.
    return decision.allowed ? { ...decision, allowed: false, remaining: 0, retryAfterMs: 1 } : decision;
  }

  async reset(key: string): Promise<void> {
    this.stmt.del.run({ key });
  }

  async ping(): Promise<void> {
    this.conn.prepare('select 1').get();
  }

  /** From now on the WAL checkpointer thread checkpoints this file (src/workers/wal-checkpointer.ts). */
  checkpointExternally(): void {
    this.conn.pragma('wal_autocheckpoint = 0');
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    if (this.conn.open) this.conn.close();
  }
}
