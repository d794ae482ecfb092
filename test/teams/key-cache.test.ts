import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlStore } from '../../src/db/database.ts';
import { ApiKeyCache, type VerifiedKey } from '../../src/modules/api-keys/key-cache.ts';
import { LastUsedTracker } from '../../src/modules/api-keys/last-used.ts';
import { ApiKeysRepo } from '../../src/modules/api-keys/repo.ts';
import { tempDir } from '../helpers/backends.ts';
import { captureLogger } from '../guards/support.ts';
import { stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { createKey, createProject, createWorkspace, person } from './harness.ts';

function verified(keyId: string, projectId = 'prj_1', workspaceId = 'ws_1'): VerifiedKey {
  return {
    actor: { keyId, projectId, workspaceId, name: 'k', prefix: 'bsk_x', scopes: ['logs:read'], expiresAt: null, allowedIps: null, createdAt: 0 },
    allows: null,
  };
}

describe('the verified-key cache', () => {
  it('forgets entries after the TTL; a TTL of 0 caches nothing', () => {
    let now = 1_000;
    const cache = new ApiKeyCache({ ttlMs: 500, now: () => now });
    cache.set('h1', verified('key_1'), cache.generation);
    expect(cache.get('h1')?.actor.keyId).toBe('key_1');
    now += 499;
    expect(cache.get('h1')).toBeDefined();
    now += 1;
    expect(cache.get('h1')).toBeUndefined();
    const off = new ApiKeyCache({ ttlMs: 0 });
    off.set('h1', verified('key_1'), off.generation);
    expect(off.get('h1')).toBeUndefined();
  });

  it('a lookup that started before a revocation does not put the key back', () => {
    const cache = new ApiKeyCache({ ttlMs: 10_000 });
    const startedAt = cache.generation;
    cache.forgetKey('key_1'); // revoked while the lookup was reading the database
    cache.set('h1', verified('key_1'), startedAt);
    expect(cache.get('h1')).toBeUndefined();
    cache.set('h1', verified('key_1'), cache.generation);
    expect(cache.get('h1')).toBeDefined();
  });

  it('drops by key, project or workspace, and evicts the oldest entry when full', () => {
    const cache = new ApiKeyCache({ ttlMs: 10_000, maxEntries: 3 });
    cache.set('a', verified('key_a', 'prj_1', 'ws_1'), cache.generation);
    cache.set('b', verified('key_b', 'prj_2', 'ws_1'), cache.generation);
    cache.set('c', verified('key_c', 'prj_3', 'ws_2'), cache.generation);
    cache.set('d', verified('key_d', 'prj_3', 'ws_2'), cache.generation);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(3);
    cache.forgetProject('prj_3');
    expect([cache.get('c'), cache.get('d')]).toEqual([undefined, undefined]);
    cache.forgetWorkspace('ws_1');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe.each(stacks())('last-used bookkeeping against the real table ($name)', (stack) => {
  let app: AccountsApp;
  let keyId: string;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
    const owner = await person(app);
    const project = await createProject(app, (await createWorkspace(app, owner)).slug, owner);
    keyId = (await createKey(app, project.id, owner, { scopes: ['logs:read'] })).id;
  });
  afterAll(() => app.close());

  const stored = async () => (await app.container.sql.db.selectFrom('api_keys').select('last_used_at').where('id', '=', keyId).executeTakeFirst())?.last_used_at;

  it('writes on first use, then at most once per interval; flush writes the newest', async () => {
    const repo = new ApiKeysRepo(app.container.sql.db);
    const writes: number[] = [];
    const { logger } = captureLogger();
    const tracker = new LastUsedTracker({ intervalMs: 60_000, write: (id, at) => (writes.push(at), repo.touch(id, at)), logger });
    const t0 = 1_900_000_000_000;
    for (let i = 0; i < 100; i++) tracker.record(keyId, t0 + i * 100);
    tracker.record(keyId, t0 + 60_000);
    tracker.record(keyId, t0 + 60_500);
    expect(writes).toEqual([t0, t0 + 60_000]);
    expect(tracker.seen(keyId)).toBe(t0 + 60_500);
    await tracker.flush();
    expect(writes).toEqual([t0, t0 + 60_000, t0 + 60_500]);
    expect(await stored()).toBe(t0 + 60_500);
    // Writes only move forward: an older time from a slower process does not win.
    await repo.touch(keyId, t0);
    expect(await stored()).toBe(t0 + 60_500);
  });

  it('a failed write is logged and never thrown at the request', async () => {
    const { logger, lines } = captureLogger();
    // A store that has gone away: its repository's writes fail.
    const dir = tempDir();
    const gone = openSqlStore({ sqlitePath: join(dir.path, 'gone.db') });
    await gone.close();
    const repo = new ApiKeysRepo(gone.db);
    const tracker = new LastUsedTracker({ intervalMs: 60_000, write: (id, at) => repo.touch(id, at), logger });
    expect(() => tracker.record(keyId, Date.now())).not.toThrow();
    await tracker.flush();
    expect(lines.some((l) => l.msg === 'could not record API key last use')).toBe(true);
    dir.remove();
  });
});
