import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql as rawSql } from 'kysely';
import { NatsLogQueue } from '../adapters/log-queue/nats-log-queue.ts';
import { NatsLogTail } from '../adapters/log-queue/nats-log-tail.ts';
import { SqliteLogQueue } from '../adapters/log-queue/sqlite-log-queue.ts';
import type { Config } from '../config/index.ts';
import type { SqlStore } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRegistry } from '../lib/metrics.ts';
import type { KvStore } from '../ports/kv.ts';
import { seqAbove, type LogQueue } from '../ports/log-queue.ts';
import { LogHotCache } from '../modules/logs/hot-cache.ts';
import { LogTailHub } from '../modules/logs/tail.ts';
import { startInlineWriter, startWriterThread, type LogWriterHandle } from '../workers/log-writer-handle.ts';
import { logQueuePath } from '../workers/log-writer-host.ts';
import { WalCheckpointer, type CheckpointableFile } from '../workers/wal-checkpointer.ts';
import type { IndexStats, WriteCycleStats } from '../workers/log-writer.ts';

/** The log pipeline as the API process holds it (docs/logs.md). */
export interface LogsRuntime {
  /** Where ingest puts batches (durably, before answering 202). */
  queue: LogQueue;
  /** This process's live-tail fan-out. */
  hub: LogTailHub;
  /** `source=kv` reads. */
  hotCache: LogHotCache;
  /** Resolves once every writer publishes the project's new batches to this process's tail. */
  tailSettled(projectId: string): Promise<void>;
  /** One retention pass now (the writer also runs them on a timer). */
  runRetention(): Promise<number>;
  /** Resolves once everything queued so far is stored and indexed (tests, benches). */
  drained(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface LogsDeps {
  sql: SqlStore;
  kv: KvStore;
  logger: Logger;
  metrics: MetricsRegistry;
  sqlSchema?: string | undefined;
  /** False: no writer in this process (the mail worker; API-only instances set LOG_WRITER=off). */
  writer?: boolean;
  /** Other adapters' SQLite files (KV, rate limiter, search) the checkpointer thread takes over. */
  checkpointable?: readonly CheckpointableFile[];
}

function writerMetrics(metrics: MetricsRegistry): { onCycle: (s: WriteCycleStats) => void; onIndex: (s: IndexStats) => void } {
  const written = metrics.counter('basalt_logs_written_total', 'Log entries stored by the writer.').series();
  const duplicates = metrics.counter('basalt_logs_redelivered_batches_total', 'Queued batches delivered again and skipped (already stored).').series();
  const orphaned = metrics.counter('basalt_logs_orphaned_batches_total', 'Queued batches dropped because their project was deleted.').series();
  const lag = metrics.histogram('basalt_logs_write_lag_seconds', 'Time from a batch’s arrival to its storage.', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]).series({});
  const indexed = metrics.counter('basalt_logs_indexed_total', 'Log entries added to the full-text and trace-id indexes after being stored (SQLite).').series();
  const indexLag = metrics.histogram('basalt_logs_index_lag_seconds', 'How long the oldest unindexed entry had waited when an index step ran (SQLite).', [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300]).series({});
  // Busy time over elapsed time is the writer's saturation: near 1, it is the bottleneck.
  const busy = metrics.counter('basalt_log_writer_busy_seconds_total', 'Time the log writer spent working, by phase (store: the SQL transaction; other: hot cache, tail; index: index steps).');
  const storeBusy = busy.series({ phase: 'store' });
  const otherBusy = busy.series({ phase: 'other' });
  const indexBusy = busy.series({ phase: 'index' });
  return {
    onCycle: (s) => {
      storeBusy.inc(s.storeMs / 1000);
      otherBusy.inc((s.busyMs - s.storeMs) / 1000);
      written.inc(s.entries);
      if (s.duplicates) duplicates.inc(s.duplicates);
      if (s.orphaned) orphaned.inc(s.orphaned);
      lag.observe(s.maxLagMs / 1000);
    },
    onIndex: (s) => {
      indexed.inc(s.entries);
      indexBusy.inc(s.busyMs / 1000);
      indexLag.observe(s.lagMs / 1000);
    },
  };
}

/**
 * The embedded files' WAL checkpoints, on a thread of their own: the log writer and the
 * queue's producer commit without waiting for the disk (they fsync on the thread pool), and
 * a checkpoint inside one of their commits (or one of the API's, on the store file the
 * writer keeps busy) would stop that thread to copy pages and fsync. The KV store's file
 * too: a sign-in writes it, and one sign-in in a few hundred used to pay for a checkpoint.
 * Without the thread, SQLite's own checkpoints stay on.
 */
async function startCheckpointer(config: Config, sql: SqlStore, logger: Logger, others: readonly CheckpointableFile[]): Promise<WalCheckpointer | undefined> {
  const files = others.filter((f) => f.path !== ':memory:');
  const paths = [
    ...(sql.capabilities.dialect === 'sqlite' ? [join(config.DATA_DIR, 'basalt.db')] : []),
    ...(config.NATS_URL ? [] : [logQueuePath(config)]),
    ...new Set(files.map((f) => f.path)),
  ];
  if (paths.length === 0) return undefined;
  try {
    const checkpointer = await WalCheckpointer.start({ paths, logger });
    if (sql.capabilities.dialect === 'sqlite') await rawSql`pragma wal_autocheckpoint = 0`.execute(sql.db);
    for (const f of files) f.checkpointExternally();
    return checkpointer;
  } catch (err) {
    logger.warn({ err }, 'logs: no WAL checkpointer thread; SQLite checkpoints inside commits');
    return undefined;
  }
}

/**
 * Builds the log pipeline from config: the queue (SQLite file, or NATS JetStream with
 * NATS_URL) with its sequences above every stored id, the tail hub (fed across instances
 * over NATS when configured), the hot-cache reader, and the writer (LOG_WRITER).
 */
export async function buildLogs(config: Config, deps: LogsDeps): Promise<LogsRuntime> {
  const { sql, kv, logger } = deps;
  const maxId = Number((await sql.db.selectFrom('logs').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0);
  const minSeq = seqAbove(maxId);
  const checkpointer = deps.writer === false ? undefined : await startCheckpointer(config, sql, logger, deps.checkpointable ?? []);
  const walCheckpointed = checkpointer !== undefined;
  const queue: LogQueue = config.NATS_URL
    ? await NatsLogQueue.connect({ url: config.NATS_URL, stream: config.LOG_QUEUE_STREAM, minSeq, maxBytes: config.LOG_QUEUE_MAX_BYTES })
    : new SqliteLogQueue({ path: logQueuePath(config), minSeq, maxBytes: config.LOG_QUEUE_MAX_BYTES, walCheckpoints: walCheckpointed ? 'external' : 'auto' });
  const hub = new LogTailHub();
  let natsTail: NatsLogTail | undefined;
  if (config.NATS_URL) {
    try {
      natsTail = await NatsLogTail.connect({ url: config.NATS_URL, prefix: config.LOG_QUEUE_STREAM, kv, logger });
      natsTail.attach(hub);
    } catch (err) {
      await queue.close();
      await checkpointer?.close();
      throw err;
    }
  }
  // The writer boots in the background (a thread takes a moment to load): requests can be
  // queued before it runs, and it drains whatever an earlier run left queued.
  const options = { config, sqlSchema: deps.sqlSchema, walCheckpointed, logger, hub, ...writerMetrics(deps.metrics) };
  const mode = deps.writer === false ? 'off' : config.LOG_WRITER;
  const writer: Promise<LogWriterHandle | undefined> = (mode === 'thread' ? startWriterThread(options) : mode === 'inline' ? startInlineWriter(options) : Promise.resolve(undefined)).catch(
    (err: unknown) => {
      logger.error({ err }, 'log writer did not start: ingested logs stay queued');
      return undefined;
    },
  );
  return {
    queue,
    hub,
    hotCache: new LogHotCache(kv, { entries: config.LOG_HOT_CACHE_ENTRIES, minutes: config.LOG_HOT_CACHE_MINUTES }),
    tailSettled: async () => {
      // Across instances, writers learn of a new subscriber from the KV store, a moment later;
      // this process's writer thread, once it has answered.
      if (natsTail) await sleep(NatsLogTail.interestSettledMs);
      else await (await writer)?.interestSettled();
    },
    runRetention: async () => {
      const running = await writer;
      if (!running) throw new Error('no log writer runs in this process');
      return running.runRetention();
    },
    drained: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while ((await queue.stats()).batches > 0) {
        if (Date.now() > deadline) throw new Error('log queue not drained in time');
        await sleep(20);
      }
      // SQLite indexes after storing (migration 0008): wait for that too.
      if (sql.capabilities.dialect !== 'sqlite') return;
      const pending = () => rawSql<{ n: number }>`select count(*) as n from log_index_pending`.execute(sql.db);
      while (Number((await pending()).rows[0]?.n ?? 0) > 0) {
        if (Date.now() > deadline) throw new Error('log index not caught up in time');
        await sleep(20);
      }
    },
    close: async () => {
      // Stop taking requests' batches first; whatever is queued stays queued, durably.
      await queue.close();
      await (await writer)?.stop();
      await checkpointer?.close();
      await natsTail?.close();
      hub.clear();
    },
  };
}
