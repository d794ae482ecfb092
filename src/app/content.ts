import { MemoryEventStream } from '../adapters/events/memory-event-stream.ts';
import { NatsEventStream } from '../adapters/events/nats-event-stream.ts';
import { OutboxRelay } from '../adapters/events/outbox-relay.ts';
import { SqlEventOutbox } from '../adapters/events/sql-event-outbox.ts';
import type { Config } from '../config/index.ts';
import type { SqlStore } from '../db/database.ts';
import type { Logger } from '../lib/logger.ts';
import type { EventStream } from '../ports/events.ts';
import { join } from 'node:path';
import { MeilisearchSearchIndex } from '../adapters/search/meilisearch-search-index.ts';
import { PostgresSearchIndex } from '../adapters/search/postgres-search-index.ts';
import { SqliteSearchIndex } from '../adapters/search/sqlite-search-index.ts';
import { UsersRepo } from '../modules/accounts/repo.ts';
import { PostsRepo } from '../modules/posts/repo.ts';
import type { KvStore } from '../ports/kv.ts';
import type { SearchIndex } from '../ports/search-index.ts';
import { SearchIndexer } from '../workers/search-indexer.ts';
import { LocalBlobStore } from '../adapters/blob/local-blob-store.ts';
import type { BlobStore } from '../ports/blob-store.ts';

export interface ContentAdapters {
  /** Records domain events (outbox), alone or inside a caller's transaction. */
  events: SqlEventOutbox;
  /** Carries recorded events to subscribers: in-process, or NATS JetStream with NATS_URL. */
  eventStream: EventStream;
  /** File bytes: a folder under DATA_DIR (blobs/). */
  blobs: BlobStore;
  /** Full-text index: SQLite FTS5, PostgreSQL full-text or Meilisearch (SEARCH_BACKEND / DATABASE_URL / MEILISEARCH_URL). */
  search: SearchIndex;
  /** The in-process search indexer (follows post and user events). */
  searchIndexer: SearchIndexer;
  /** Publishes the outbox to the stream now (tests, shutdown). */
  flushEvents(): Promise<number>;
  close(): Promise<void>;
}

/** The content adapters (events; blobs and search), built from config for the container. */
export async function buildContent(config: Config, deps: { sql: SqlStore; kv: KvStore; logger: Logger }): Promise<ContentAdapters> {
  const { sql, logger } = deps;
  const retentionMs = config.EVENTS_RETENTION_SECONDS * 1000;
  let relay: OutboxRelay | undefined;
  const events = new SqlEventOutbox(sql.db, { onRecorded: () => relay?.wake() });
  let eventStream: EventStream;
  if (config.NATS_URL) {
    eventStream = await NatsEventStream.connect({ url: config.NATS_URL, stream: config.EVENTS_STREAM, retentionMs, maxRetained: config.EVENTS_MAX_RETAINED, logger });
  } else {
    const memory = new MemoryEventStream({ retentionMs, maxRetained: config.EVENTS_MAX_RETAINED });
    // Resume survives a restart: published events still in the window come back from the outbox.
    memory.prime(
      await events.retained(Date.now() - retentionMs, config.EVENTS_MAX_RETAINED).catch((err: unknown) => {
        logger.warn({ err }, 'event history not loaded; resume starts empty');
        return [];
      }),
    );
    eventStream = memory;
  }
  relay = new OutboxRelay({ db: sql.db, outbox: events, stream: eventStream, logger, rowLocks: sql.capabilities.rowLocks, pooled: sql.capabilities.pooled, pollMs: config.EVENTS_POLL_MS, retentionMs });
  relay.start();
  const started = relay;
  let search: SearchIndex;
  try {
    search = await openSearch(config, sql, logger);
  } catch (err) {
    await started.stop();
    await eventStream.close();
    throw err;
  }
  const searchIndexer = new SearchIndexer({ stream: eventStream, index: search, posts: new PostsRepo(sql.db), users: new UsersRepo(sql.db), kv: deps.kv, logger });
  await searchIndexer.start();
  const blobs = new LocalBlobStore(join(config.DATA_DIR, 'blobs'), { directIo: config.BLOB_DIRECT_IO === 'auto' });
  logger.info({ directIo: blobs.directIo }, blobs.directIo ? 'blob store: uploads written with O_DIRECT' : 'blob store: uploads written through the page cache');
  return {
    events,
    eventStream,
    blobs,
    search,
    searchIndexer,
    flushEvents: () => started.drain(),
    close: async () => {
      await searchIndexer.stop();
      await started.stop();
      // Whatever was recorded goes out before the stream closes (best effort).
      await started.drain().catch(() => 0);
      await eventStream.close();
      await search.close();
    },
  };
}

async function openSearch(config: Config, sql: SqlStore, logger: Logger): Promise<SearchIndex> {
  const backend = config.SEARCH_BACKEND !== 'auto' ? config.SEARCH_BACKEND : config.MEILISEARCH_URL ? 'meilisearch' : sql.capabilities.dialect;
  if (backend === 'meilisearch') {
    // The config schema already refuses SEARCH_BACKEND=meilisearch without a URL.
    if (!config.MEILISEARCH_URL) throw new Error('SEARCH_BACKEND=meilisearch needs MEILISEARCH_URL');
    const index = new MeilisearchSearchIndex({ url: config.MEILISEARCH_URL, apiKey: config.MEILISEARCH_API_KEY, prefix: config.MEILISEARCH_INDEX_PREFIX });
    // A Meilisearch that is down does not keep Basalt from starting: search answers 500 until it
    // is back, and the index is set up on the first call that reaches it.
    await index.ready().catch((err: unknown) => logger.warn({ err, url: config.MEILISEARCH_URL }, 'Meilisearch not reachable: search fails until it is; run `basalt admin reindex-search` once it is back'));
    return index;
  }
  if (backend === 'postgres') {
    if (sql.capabilities.dialect !== 'postgres') throw new Error('SEARCH_BACKEND=postgres needs DATABASE_URL');
    return PostgresSearchIndex.open(sql.db);
  }
  return new SqliteSearchIndex({ path: join(config.DATA_DIR, 'search.db') });
}
