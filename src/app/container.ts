import { join } from 'node:path';
import { RedisKvStore } from '../adapters/kv/redis-kv.ts';
import { SqliteKvStore } from '../adapters/kv/sqlite-kv.ts';
import { RedisRateLimiter } from '../adapters/rate-limit/redis-rate-limiter.ts';
import { SqliteRateLimiter } from '../adapters/rate-limit/sqlite-rate-limiter.ts';
import { SiteverifyTurnstileVerifier } from '../adapters/turnstile/siteverify-verifier.ts';
import type { Config } from '../config/index.ts';
import { openSqlStore, type SqlStore } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { Mailer } from '../modules/mail/mailer.ts';
import type { OutboxReader } from '../ports/mail-transport.ts';
import { createGuards, type Guards } from '../http/guards.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { closePasswordHashing, configurePasswordHashing } from '../lib/password-hash.ts';
import { MetricsRegistry } from '../lib/metrics.ts';
import type { KvStore } from '../ports/kv.ts';
import { buildMail } from './mail.ts';
import { buildContent } from './content.ts';
import { isCheckpointable } from '../workers/wal-checkpointer.ts';
import { buildLogs, type LogsRuntime } from './logs.ts';
import type { SqlEventOutbox } from '../adapters/events/sql-event-outbox.ts';
import type { EventStream } from '../ports/events.ts';
import type { SearchIndex } from '../ports/search-index.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { SearchIndexer } from '../workers/search-indexer.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';

/** Everything built from configuration. The only place adapters are constructed. */
export interface Container {
  config: Config;
  logger: Logger;
  metrics: MetricsRegistry;
  sql: SqlStore;
  kv: KvStore;
  /** Templated e-mail: through the worker process (WORKER_URL) or sent from here. */
  mailer: Mailer;
  /** The outbox the embedded mail transport writes (the development mailbox reads it). */
  mailbox: OutboxReader;
  /** Rate-limit counters: on Redis with REDIS_URL, else in the embedded KV file. */
  limiter: RateLimiter;
  /** Rate limits, client IP and Turnstile, for routes to attach. */
  guards: Guards;
  /** Domain events: recorded in the SQL outbox (alone or in a transaction), see src/ports/events.ts. */
  events: SqlEventOutbox;
  /** Recorded events to subscribers (SSE, search indexer): in-process, or NATS with NATS_URL. */
  eventStream: EventStream;
  /** Publishes recorded events now instead of at the relay's next poll. */
  flushEvents(): Promise<number>;
  /** Full-text search index (src/ports/search-index.ts) and the in-process indexer that feeds it. */
  search: SearchIndex;
  searchIndexer: SearchIndexer;
  /** File bytes (src/ports/blob-store.ts). */
  blobs: BlobStore;
  /** The log pipeline: durable queue, writer, hot cache, live tail (src/app/logs.ts). */
  logs: LogsRuntime;
  close(): Promise<void>;
}

export interface ContainerOptions {
  logger?: Logger;
  /** Apply pending migrations before returning (serve does; tests may share a migrated store). */
  migrate?: boolean;
  /** PostgreSQL schema (test isolation). */
  sqlSchema?: string;
  /** Building the worker process: mail is sent here, never forwarded to WORKER_URL. */
  worker?: boolean;
}

async function openLimiter(config: Config): Promise<RateLimiter> {
  if (config.REDIS_URL) {
    return RedisRateLimiter.connect({ url: config.REDIS_URL, prefix: `${config.KV_PREFIX}rl:`, commandTimeoutMs: config.RATE_LIMIT_TIMEOUT_MS });
  }
  return new SqliteRateLimiter({ path: join(config.DATA_DIR, 'kv.db'), busyTimeoutMs: config.RATE_LIMIT_TIMEOUT_MS });
}

async function openKv(config: Config): Promise<KvStore> {
  if (config.REDIS_URL) return RedisKvStore.connect({ url: config.REDIS_URL, prefix: config.KV_PREFIX });
  return new SqliteKvStore({ path: join(config.DATA_DIR, 'kv.db'), sweepIntervalMs: config.KV_SWEEP_INTERVAL_MS });
}

export async function buildContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  configurePasswordHashing({ busyShare: config.PASSWORD_HASH_BUSY_SHARE, handOverMs: config.PASSWORD_HASH_HANDOVER_MS });
  const sql = openSqlStore({
    url: config.DATABASE_URL,
    sqlitePath: join(config.DATA_DIR, 'basalt.db'),
    poolSize: config.DATABASE_POOL_SIZE,
    ...(options.sqlSchema ? { schema: options.sqlSchema } : {}),
  });
  let kv: KvStore | undefined;
  let limiter: RateLimiter | undefined;
  let content: Awaited<ReturnType<typeof buildContent>> | undefined;
  try {
    if (options.migrate ?? true) {
      await migrateToLatest(sql.db, (line) => logger.info({ dialect: sql.capabilities.dialect }, line));
    }
    kv = await openKv(config);
    limiter = await openLimiter(config);
    content = await buildContent(config, { sql, kv, logger });
  } catch (err) {
    await Promise.allSettled([sql.close(), kv?.close(), limiter?.close()]);
    throw err;
  }
  const openedLimiter = limiter;
  const openedKv = kv;
  const openedContent = content;
  logger.debug({ sql: sql.capabilities.dialect, kv: openedKv.backend }, 'stores open');
  const metrics = new MetricsRegistry();
  const verifier = config.TURNSTILE_SECRET
    ? new SiteverifyTurnstileVerifier({ secret: config.TURNSTILE_SECRET, url: config.TURNSTILE_VERIFY_URL, timeoutMs: config.TURNSTILE_TIMEOUT_MS })
    : undefined;
  const mail = buildMail(config, { db: sql.db, logger, metrics }, { inProcess: options.worker ?? false });
  let logs: LogsRuntime;
  try {
    // The mail worker process writes no logs; API processes run the log writer (LOG_WRITER).
    logs = await buildLogs(config, {
      sql,
      kv: openedKv,
      logger,
      metrics,
      sqlSchema: options.sqlSchema,
      writer: !options.worker,
      checkpointable: [openedKv, openedLimiter, openedContent.search].filter(isCheckpointable),
    });
  } catch (err) {
    await openedContent.close().catch(() => {});
    await mail.close().catch(() => {});
    await Promise.allSettled([sql.close(), openedKv.close(), openedLimiter.close()]);
    throw err;
  }
  return {
    config,
    logger,
    metrics,
    sql,
    kv: openedKv,
    mailer: mail.mailer,
    mailbox: mail.mailbox,
    limiter: openedLimiter,
    guards: createGuards({ config, limiter: openedLimiter, verifier, logger, metrics }),
    events: openedContent.events,
    eventStream: openedContent.eventStream,
    flushEvents: openedContent.flushEvents,
    search: openedContent.search,
    searchIndexer: openedContent.searchIndexer,
    blobs: openedContent.blobs,
    logs,
    close: async () => {
      await logs.close();
      await openedContent.close();
      await mail.close();
      await Promise.allSettled([sql.close(), openedKv.close(), openedLimiter.close(), closePasswordHashing()]);
    },
  };
}
