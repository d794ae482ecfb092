import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { SqliteLogQueue } from '../adapters/log-queue/sqlite-log-queue.ts';
import { SqliteKvStore } from '../adapters/kv/sqlite-kv.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { KvStore } from '../ports/kv.ts';
import type { LogQueue } from '../ports/log-queue.ts';
import { LogHotCache } from '../modules/logs/hot-cache.ts';
import type { LogStoreWriter } from '../modules/logs/store.ts';
import { SqliteLogStoreWriter } from '../modules/logs/store-sqlite.ts';
import type { TailSink } from '../modules/logs/tail.ts';
import { LogRetention } from './log-retention.ts';
import { LogWriter, type IndexStats, type WriteCycleStats } from './log-writer.ts';

export interface WriterHostOptions {
  config: Config;
  /** PostgreSQL schema (test isolation). */
  sqlSchema?: string | undefined;
  /** A checkpointer thread checkpoints the embedded files (src/app/logs.ts): never checkpoint in this thread. */
  walCheckpointed?: boolean | undefined;
  logger: Logger;
  /** Where stored batches go for the live tail when NATS is not configured. */
  localTail: TailSink;
  onCycle?: (stats: WriteCycleStats) => void;
  onIndex?: (stats: IndexStats) => void;
}

export interface WriterHost {
  retention: LogRetention;
  close(): Promise<void>;
}

/** Paths of the embedded files, shared by the API side and the writer. */
export function logQueuePath(config: Config): string {
  return join(config.DATA_DIR, 'log-queue.db');
}

// Scale-out adapters are imported only when configured: the writer thread loads (and tsx
// compiles) its modules at start, and the embedded default needs none of them.
interface Closable {
  close(): Promise<void>;
}

async function openStore(config: Config, sqlSchema: string | undefined, walCheckpointed: boolean): Promise<LogStoreWriter> {
  if (config.DATABASE_URL) {
    const [{ openSqlStore }, { PostgresLogStoreWriter }] = await Promise.all([import('../db/database.ts'), import('../modules/logs/store-postgres.ts')]);
    const store = openSqlStore({ url: config.DATABASE_URL, sqlitePath: '', poolSize: 4, ...(sqlSchema ? { schema: sqlSchema } : {}) });
    return new PostgresLogStoreWriter(store.db, () => store.close());
  }
  const db = SqliteLogStoreWriter.configure(new SQLite(join(config.DATA_DIR, 'basalt.db')));
  if (walCheckpointed) db.pragma('wal_autocheckpoint = 0');
  return new SqliteLogStoreWriter(db);
}

async function openQueue(config: Config, walCheckpointed: boolean): Promise<LogQueue> {
  // A consumer never enqueues, so it needs no sequence floor.
  if (config.NATS_URL) {
    const { NatsLogQueue } = await import('../adapters/log-queue/nats-log-queue.ts');
    return NatsLogQueue.connect({ url: config.NATS_URL, stream: config.LOG_QUEUE_STREAM, minSeq: 1, maxBytes: config.LOG_QUEUE_MAX_BYTES });
  }
  return new SqliteLogQueue({ path: logQueuePath(config), minSeq: 1, maxBytes: config.LOG_QUEUE_MAX_BYTES, walCheckpoints: walCheckpointed ? 'external' : 'auto' });
}

async function openKv(config: Config): Promise<KvStore> {
  if (config.REDIS_URL) {
    const { RedisKvStore } = await import('../adapters/kv/redis-kv.ts');
    return RedisKvStore.connect({ url: config.REDIS_URL, prefix: config.KV_PREFIX });
  }
  return new SqliteKvStore({ path: join(config.DATA_DIR, 'kv.db'), sweepIntervalMs: config.KV_SWEEP_INTERVAL_MS });
}

/**
 * The log writer's side, composed from config: its own store connection, queue consumer and
 * KV client, the writer loop and the retention worker. Runs in the writer thread (the
 * default) or in the API's thread (LOG_WRITER=inline).
 */
export async function startLogWriterHost(options: WriterHostOptions): Promise<WriterHost> {
  const { config, logger } = options;
  const walCheckpointed = options.walCheckpointed ?? false;
  const store = await openStore(config, options.sqlSchema, walCheckpointed);
  const opened: Closable[] = [store];
  try {
    const queue = await openQueue(config, walCheckpointed);
    opened.push(queue);
    const kv = await openKv(config);
    opened.push(kv);
    let tail = options.localTail;
    if (config.NATS_URL) {
      const { NatsLogTail } = await import('../adapters/log-queue/nats-log-tail.ts');
      const nats = await NatsLogTail.connect({ url: config.NATS_URL, prefix: config.LOG_QUEUE_STREAM, kv, logger });
      opened.push(nats);
      tail = nats.sink();
    }
    const writer = new LogWriter({
      queue,
      store,
      hotCache: new LogHotCache(kv, { entries: config.LOG_HOT_CACHE_ENTRIES, minutes: config.LOG_HOT_CACHE_MINUTES }),
      tail,
      logger,
      maxEntries: config.LOG_WRITER_BATCH_ENTRIES,
      ...(options.onCycle ? { onCycle: options.onCycle } : {}),
      ...(options.onIndex ? { onIndex: options.onIndex } : {}),
    });
    const retention = new LogRetention({
      store,
      logger,
      defaultDays: config.LOG_RETENTION_DAYS,
      intervalMs: config.LOG_RETENTION_INTERVAL_SECONDS * 1000,
      batch: config.LOG_RETENTION_BATCH,
    });
    writer.start();
    retention.start();
    return {
      retention,
      close: async () => {
        await retention.stop();
        await writer.stop();
        for (const c of opened.reverse()) await c.close().catch((err: unknown) => logger.warn({ err }, 'log writer: close failed'));
      },
    };
  } catch (err) {
    for (const c of opened.reverse()) await c.close().catch(() => {});
    throw err;
  }
}
