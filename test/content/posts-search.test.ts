import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, register, stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';
import { eventually } from '../helpers/eventually.ts';

describe.each(stacks())('posts and search ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());
  const search = (q: string, token?: string, type = 'posts') => app.call('GET', `/v1/search?q=${encodeURIComponent(q)}&type=${type}`, token ? { token } : {});

  it('creates (201), reads, renders sanitised HTML; anonymous readers see public posts', async () => {
    const me = await verifiedUser(app);
    const body = '# Hello\n\n<script>alert(1)</script> [x](javascript:alert(1)) **bold** <img src=x onerror=alert(1)> [ok](https://example.com)';
    const res = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { title: 'First', body } });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ title: 'First', body, visibility: 'public', author: { id: me.id, handle: me.handle }, attachments: [] });
    const html: string = res.body.data.html;
    expect(html).toContain('<h1>Hello</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).not.toMatch(/<script|<img|<[^>]+\son\w+=|href="javascript:/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('href="https://example.com"');
    const anon = await app.call('GET', `/v1/posts/${res.body.data.id}`);
    expect(anon.status).toBe(200);
    expect(anon.body.data.id).toBe(res.body.data.id);
  });

  it.each([
    ['an empty body', { body: '' }],
    ['a body over 20,000 characters', { body: 'x'.repeat(20_001) }],
    ['a bad visibility', { body: 'b', visibility: 'secret' }],
  ])('refuses %s with 400 general:validation_error', async (_n, json) => {
    const me = await verifiedUser(app);
    const res = await app.call('POST', '/v1/posts', { token: me.accessToken, json });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('general:validation_error');
  });

  it('needs a signed-in, verified author', async () => {
    expect((await app.call('POST', '/v1/posts', { json: { body: 'x' } })).body.error?.code).toBe('user:unauthorized');
    const unverified = await register(app.call);
    const session = await login(app.call, unverified);
    const res = await app.call('POST', '/v1/posts', { token: session.accessToken, json: { body: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('user:not_verified');
  });

  it('private posts: 404 post:not_found to everyone but the author; unknown ids too', async () => {
    const me = await verifiedUser(app);
    const other = await verifiedUser(app);
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: 'secret', visibility: 'private' } });
    for (const token of [undefined, other.accessToken]) {
      const res = await app.call('GET', `/v1/posts/${post.body.data.id}`, token ? { token } : {});
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('post:not_found');
    }
    expect((await app.call('GET', `/v1/posts/${post.body.data.id}`, { token: me.accessToken })).status).toBe(200);
    expect((await app.call('GET', '/v1/posts/pst_nope')).body.error?.code).toBe('post:not_found');
    expect((await app.call('PATCH', `/v1/posts/${post.body.data.id}`, { token: other.accessToken, json: { body: 'x' } })).body.error?.code).toBe('post:not_found');
  });

  it('edit and delete: the author may, another user is refused (403), then it is gone (404)', async () => {
    const me = await verifiedUser(app);
    const other = await verifiedUser(app);
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: 'draft' } });
    const id = post.body.data.id;
    const refused = await app.call('PATCH', `/v1/posts/${id}`, { token: other.accessToken, json: { body: 'hijack' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('user:permission_insufficient');
    expect((await app.call('DELETE', `/v1/posts/${id}`, { token: other.accessToken })).status).toBe(403);
    const edited = await app.call('PATCH', `/v1/posts/${id}`, { token: me.accessToken, json: { body: 'final', title: 'T' } });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ body: 'final', title: 'T' });
    expect((await app.call('PATCH', `/v1/posts/${id}`, { token: me.accessToken, json: {} })).status).toBe(400);
    expect((await app.call('DELETE', `/v1/posts/${id}`, { token: me.accessToken })).status).toBe(200);
    expect((await app.call('GET', `/v1/posts/${id}`)).body.error?.code).toBe('post:not_found');
    expect((await app.call('DELETE', `/v1/posts/${id}`, { token: me.accessToken })).body.error?.code).toBe('post:not_found');
  });

  it('attachments must be the author’s own files: 400 file:not_found otherwise', async () => {
    const me = await verifiedUser(app);
    const res = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: 'with file', attachments: ['fil_000000000000000000000000abcd'] } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('file:not_found');
  });

  it('lists a user’s posts and the feed newest first with a cursor; private ones only to the author', async () => {
    const me = await verifiedUser(app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: `n${i}`, visibility: i === 2 ? 'private' : 'public' } })).body.data.id);
    const first = await app.call('GET', `/v1/users/${me.handle}/posts?limit=2`);
    expect(first.body.data.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3]]);
    const second = await app.call('GET', `/v1/users/${me.handle}/posts?limit=2&cursor=${first.body.meta.nextCursor}`);
    expect(second.body.data.map((p: { id: string }) => p.id)).toEqual([ids[1], ids[0]]);
    expect(second.body.meta.nextCursor).toBeNull();
    const own = await app.call('GET', `/v1/users/${me.handle}/posts?limit=10`, { token: me.accessToken });
    expect(own.body.data).toHaveLength(5);
    const feed = await app.call('GET', '/v1/feed?limit=3');
    expect(feed.body.data[0].id).toBe(ids[4]);
    expect(feed.body.data.every((p: { visibility: string }) => p.visibility === 'public')).toBe(true);
    expect((await app.call('GET', '/v1/users/nobody_here_x/posts')).body.error?.code).toBe('user:not_found');
  });

  it('search follows create, update and delete; prefix matching; highlighted snippets; private only to the author', async () => {
    const me = await verifiedUser(app);
    const word = `zircon${Date.now().toString(36)}`;
    const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { title: 'Minerals', body: `All about ${word} crystals` } });
    const id = post.body.data.id;
    const found = await eventually(() => search(word.slice(0, 9)), (r) => r.body.data?.length === 1);
    expect(found.status).toBe(200);
    expect(found.body.data[0]).toMatchObject({ type: 'posts', id, post: { id } });
    expect(found.body.data[0].snippet).toContain(`<mark>`);
    await app.call('PATCH', `/v1/posts/${id}`, { token: me.accessToken, json: { visibility: 'private' } });
    const hidden = await eventually(() => search(word), (r) => r.body.data?.length === 0);
    expect(hidden.body.data).toEqual([]);
    expect((await search(word, me.accessToken)).body.data.map((h: { id: string }) => h.id)).toEqual([id]);
    await app.call('DELETE', `/v1/posts/${id}`, { token: me.accessToken });
    await app.container.flushEvents();
    await app.container.searchIndexer.idle();
    expect((await search(word, me.accessToken)).body.data).toEqual([]);
  });

  it('finds users by handle prefix', async () => {
    const me = await verifiedUser(app);
    const res = await eventually(() => search(me.handle.slice(0, 12), undefined, 'users'), (r) => r.body.data?.some((h: { user: { handle: string } }) => h.user.handle === me.handle));
    expect(res.body.data.some((h: { user: { handle: string } }) => h.user.handle === me.handle)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain('@example.test');
  });

  it('validates the query (400) and reports a failing backend as 500 meilisearch:query_failed', async () => {
    expect((await app.call('GET', '/v1/search?q=')).body.error?.code).toBe('general:validation_error');
    expect((await app.call('GET', '/v1/search?q=x&type=files')).body.error?.code).toBe('general:validation_error');
    if (stack.sql === 'postgres') {
      // The PostgreSQL index lives in the main database: take its table away for one query.
      await sql`alter table search_documents rename to search_documents_off`.execute(app.container.sql.db);
      try {
        const res = await app.call('GET', '/v1/search?q=anything');
        expect(res.status).toBe(500);
        expect(res.body.error).toMatchObject({ code: 'meilisearch:query_failed', type: 'INTERNAL_ERROR' });
      } finally {
        await sql`alter table search_documents_off rename to search_documents`.execute(app.container.sql.db);
      }
      return;
    }
    const broken = await startAccountsApp({ stack });
    try {
      await broken.container.search.close();
      const res = await broken.call('GET', '/v1/search?q=anything');
      expect(res.status).toBe(500);
      expect(res.body.error).toMatchObject({ code: 'meilisearch:query_failed', type: 'INTERNAL_ERROR' });
    } finally {
      await broken.close();
    }
  });
});
