import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { openSqlStore, type SqlStore } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { MemoryEventStream } from './memory-event-stream.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { SqlEventOutbox } from './sql-event-outbox.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbox relay: looks again after an empty wake only on a pooled store', () => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });

  async function relayOn(pooled: boolean, coalesceMs?: number) {
    const dir = tempDir();
    const store: SqlStore = openSqlStore({ sqlitePath: join(dir.path, 'basalt.db') });
    await migrateToLatest(store.db);
    const stream = new MemoryEventStream({ retentionMs: 60_000, maxRetained: 100 });
    let relay: OutboxRelay | undefined;
    const outbox = new SqlEventOutbox(store.db, { onRecorded: () => relay?.wake() });
    const looks = vi.spyOn(outbox, 'pending');
    // A poll far beyond the test: every look below comes from a wake or a re-look.
    relay = new OutboxRelay({ db: store.db, outbox, stream, logger: pino({ level: 'silent' }), rowLocks: false, pooled, pollMs: 60_000, retentionMs: 60_000, ...(coalesceMs === undefined ? {} : { coalesceMs }) });
    relay.start();
    await sleep(20);
    looks.mockClear();
    const received: string[] = [];
    await stream.subscribe({ all: true }, (e) => received.push(e.type));
    opened.push(async () => {
      await relay?.stop();
      await stream.close();
      await store.close();
      dir.remove();
    });
    return { relay, outbox, looks, received };
  }

  it('unpooled (SQLite): one look per wake, and the event goes out at once', async () => {
    const { relay, outbox, looks, received } = await relayOn(false);
    await outbox.publish({ type: 'user.registered', audience: { userIds: ['usr_a'] }, data: { userId: 'usr_a' } });
    await sleep(100);
    expect(received).toEqual(['user.registered']);
    expect(looks).toHaveBeenCalledTimes(1);
    relay.wake();
    await sleep(300);
    expect(looks).toHaveBeenCalledTimes(2);
  });

  it('a lone event goes out at once; events right after a publishing drain share one look', async () => {
    const { outbox, looks, received } = await relayOn(false, 300);
    const publish = (n: number) => outbox.publish({ type: 'post.created', audience: { userIds: ['usr_a'] }, data: { n } });
    await publish(0);
    await sleep(100);
    expect(received).toHaveLength(1);
    looks.mockClear();
    for (let n = 1; n <= 5; n++) await publish(n);
    await sleep(50);
    // Still inside the window that began when the first event went out.
    expect(received).toHaveLength(1);
    await sleep(300);
    expect(received).toHaveLength(6);
    expect(looks).toHaveBeenCalledTimes(1);
  });

  it('pooled (PostgreSQL): a wake that found nothing looks again within the commit grace', async () => {
    const { relay, looks } = await relayOn(true);
    relay.wake();
    await sleep(300);
    expect(looks.mock.calls.length).toBeGreaterThanOrEqual(4);
  });
});
