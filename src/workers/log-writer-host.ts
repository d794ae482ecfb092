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
import { WalCheckpointer } from './wal-checkpointer.ts';

export interface WriterHostOptions {
  config: Config;
  /** PostgreSQL schema (test isolation). */
  sqlSchema?: string | undefined;
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

async function openStore(config: Config, sqlSchema: string | undefined, logger: Logger): Promise<{ store: LogStoreWriter; helpers: Closable[] }> {
  if (config.DATABASE_URL) {
    const [{ openSqlStore }, { PostgresLogStoreWriter }] = await Promise.all([import('../db/database.ts'), import('../modules/logs/store-postgres.ts')]);
    const store = openSqlStore({ url: config.DATABASE_URL, sqlitePath: '', poolSize: 4, ...(sqlSchema ? { schema: sqlSchema } : {}) });
    return { store: new PostgresLogStoreWriter(store.db, () => store.close()), helpers: [] };
  }
  const path = join(config.DATA_DIR, 'basalt.db');
  const db = SqliteLogStoreWriter.configure(new SQLite(path));
  // Checkpoints move to a thread of their own; should it end, this connection takes them back.
  const checkpointer = await WalCheckpointer.start({ path, logger, onExit: () => db.open && db.pragma('wal_autocheckpoint = 1000') }).catch((err: unknown) => {
    logger.warn({ err }, 'log writer: no WAL checkpointer thread; the writer checkpoints itself');
    return undefined;
  });
  if (checkpointer) db.pragma('wal_autocheckpoint = 0');
  return { store: new SqliteLogStoreWriter(db), helpers: checkpointer ? [checkpointer] : [] };
}

async function openQueue(config: Config): Promise<LogQueue> {
  // A consumer never enqueues, so it needs no sequence floor.
  if (config.NATS_URL) {
    const { NatsLogQueue } = await import('../adapters/log-queue/nats-log-queue.ts');
    return NatsLogQueue.connect({ url: config.NATS_URL, stream: config.LOG_QUEUE_STREAM, minSeq: 1, maxBytes: config.LOG_QUEUE_MAX_BYTES });
  }
  // The API's producer checkpoints the file from a thread of its own: acknowledgements here never stop for it.
  return new SqliteLogQueue({ path: logQueuePath(config), minSeq: 1, maxBytes: config.LOG_QUEUE_MAX_BYTES, walCheckpoints: 'none' });
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
  const { store, helpers } = await openStore(config, options.sqlSchema, logger);
  const opened: Closable[] = [store, ...helpers];
  try {
    const queue = await openQueue(config);
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
