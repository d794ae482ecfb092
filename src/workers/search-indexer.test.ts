import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/helpers/backends.ts';
import { MemoryEventStream } from '../adapters/events/memory-event-stream.ts';
import { newEventId } from '../adapters/events/sql-event-outbox.ts';
import { SqliteKvStore } from '../adapters/kv/sqlite-kv.ts';
import { SqliteSearchIndex } from '../adapters/search/sqlite-search-index.ts';
import { openSqlStore } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { UsersRepo, type UserRow } from '../modules/accounts/repo.ts';
import { PostsRepo } from '../modules/posts/repo.ts';
import type { PublishedEvent } from '../ports/events.ts';
import { SearchIndexer } from './search-indexer.ts';

const user = (n: number): UserRow => ({
  id: `usr_${n.toString(16).padStart(28, '0')}`,
  email: `u${n}@example.com`,
  email_verified_at: null,
  handle: `lava${n}`,
  password_hash: null,
  role: 'user',
  display_name: null,
  bio: 'basalt columns',
  avatar_url: null,
  banned_at: null,
  ban_reason: null,
  ban_expires_at: null,
  created_at: n,
  updated_at: n,
});

const registered = (u: UserRow): PublishedEvent => ({ id: newEventId(), type: 'user.registered', audience: { userIds: [u.id] }, data: { userId: u.id }, occurredAt: Date.now() });

describe('search indexer checkpoint', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup() {
    const dir = tempDir();
    const sql = openSqlStore({ sqlitePath: join(dir.path, 'basalt.db') });
    await migrateToLatest(sql.db);
    const kv = new SqliteKvStore({ path: join(dir.path, 'kv.db') });
    const index = new SqliteSearchIndex({ path: join(dir.path, 'search.db') });
    const stream = new MemoryEventStream({ retentionMs: 60_000, maxRetained: 1000 });
    const users = new UsersRepo(sql.db);
    const indexer = () => new SearchIndexer({ stream, index, posts: new PostsRepo(sql.db), users, kv, logger: pino({ level: 'silent' }) });
    cleanups.push(async () => {
      await stream.close();
      await index.close();
      await kv.close();
      await sql.close();
      dir.remove();
    });
    return { kv, index, stream, users, indexer };
  }

  it('is written once per burst, naming its last event, and a restart resumes after it', async () => {
    const { kv, index, stream, users, indexer } = await setup();
    const first = indexer();
    await first.start();
    const writes = vi.spyOn(kv, 'set');
    const burst = Array.from({ length: 20 }, (_, i) => user(i + 1));
    for (const u of burst) await users.insert(u);
    const events = burst.map(registered);
    await stream.publish(events);
    await first.idle();
    expect(writes.mock.calls.filter(([key]) => key === 'search-indexer:checkpoint').length).toBeLessThan(5);
    expect(await kv.get('search-indexer:checkpoint')).toBe(events.at(-1)?.id);
    expect((await index.search({ kind: 'users', q: 'basalt', limit: 50 })).hits).toHaveLength(20);
    await first.stop();

    // Published while no indexer ran: the next one resumes after the checkpoint and finds it.
    const late = user(99);
    await users.insert({ ...late, bio: 'obsidian' });
    await stream.publish([registered(late)]);
    const second = indexer();
    await second.start();
    await vi.waitFor(async () => expect((await index.search({ kind: 'users', q: 'obsidian', limit: 5 })).hits.map((h) => h.id)).toEqual([late.id]));
    await second.stop();
  });
});
