import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, login, stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';
import { createKey, createProject, createWorkspace, expectStatus, person, slug, type Person } from './harness.ts';

describe.each(stacks())('workspaces ($name)', (stack) => {
  let app: AccountsApp;
  let owner: Person;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
    owner = await person(app);
  });
  afterAll(() => app.close());

  it('creates a workspace; the creator is its owner (a verified account through the real sign-up flow)', async () => {
    const ada = await verifiedUser(app);
    const s = slug();
    const res = await app.call('POST', '/v1/workspaces', { token: ada.accessToken, json: { name: '  Ada’s team ', slug: s.toUpperCase() } });
    expectStatus(res, 201);
    expect(res.body.data).toMatchObject({ slug: s, name: 'Ada’s team', role: 'owner' });
    expect(res.body.data.id).toMatch(/^ws_/);
    const got = await app.call('GET', `/v1/workspaces/${s}`, { token: ada.accessToken });
    expectStatus(got, 200);
    expect(got.body.data).toEqual(res.body.data);
  });

  it('refuses an unverified account: 403 user:not_verified', async () => {
    const who = await register(app.call);
    const { accessToken } = await login(app.call, who);
    expectStatus(await app.call('POST', '/v1/workspaces', { token: accessToken, json: { name: 'Nope', slug: slug() } }), 403, 'user:not_verified');
  });

  it.each([
    ['too short', { name: 'X', slug: 'ab' }],
    ['too long', { name: 'X', slug: 'a'.repeat(41) }],
    ['bad characters', { name: 'X', slug: 'acme_inc' }],
    ['spaces', { name: 'X', slug: 'acme inc' }],
    ['no name', { slug: 'acme-ok' }],
    ['empty name', { name: '   ', slug: 'acme-ok' }],
  ])('validates the body (%s): 400 general:validation_error naming the field', async (_label, body) => {
    const res = await app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: body });
    expectStatus(res, 400, 'general:validation_error');
    expect(res.body.error?.details?.length).toBeGreaterThan(0);
  });

  it('slugs are unique (case-insensitively): 409 workspace:slug_already_exists "Slug already taken"', async () => {
    const ws = await createWorkspace(app, owner);
    const other = await person(app);
    const res = await app.call('POST', '/v1/workspaces', { token: other.accessToken, json: { name: 'Copy', slug: ws.slug.toUpperCase() } });
    expectStatus(res, 409, 'workspace:slug_already_exists');
    expect(res.body.error).toMatchObject({ type: 'VALIDATION_ERROR', message: 'Slug already taken', details: [{ field: 'slug', issue: 'already taken' }] });
  });

  it('concurrent creates of one slug: exactly one wins, the rest get 409', async () => {
    const s = slug();
    const results = await Promise.all(Array.from({ length: 6 }, () => app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: { name: 'Race', slug: s } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it('lists my workspaces with my role, by cursor', async () => {
    const me = await person(app);
    const made = [await createWorkspace(app, me, 'One'), await createWorkspace(app, me, 'Two'), await createWorkspace(app, me, 'Three')];
    const first = await app.call('GET', '/v1/workspaces?limit=2', { token: me.accessToken });
    expectStatus(first, 200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.meta.nextCursor).toBeTruthy();
    const second = await app.call('GET', `/v1/workspaces?limit=2&cursor=${first.body.meta.nextCursor}`, { token: me.accessToken });
    expect(second.body.data).toHaveLength(1);
    expect(second.body.meta.nextCursor).toBeNull();
    const all = [...first.body.data, ...second.body.data];
    expect(all.map((w: { slug: string }) => w.slug)).toEqual(made.map((w) => w.slug));
    expect(all.every((w: { role: string }) => w.role === 'owner')).toBe(true);
    expectStatus(await app.call('GET', '/v1/workspaces?limit=0', { token: me.accessToken }), 400, 'general:validation_error');
  });

  it('renames and changes the slug; a taken slug is 409, an empty patch 400', async () => {
    const ws = await createWorkspace(app, owner);
    const taken = await createWorkspace(app, owner);
    const s = slug();
    const res = await app.call('PATCH', `/v1/workspaces/${ws.slug}`, { token: owner.accessToken, json: { name: 'Renamed', slug: s } });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: ws.id, name: 'Renamed', slug: s });
    expectStatus(await app.call('GET', `/v1/workspaces/${ws.slug}`, { token: owner.accessToken }), 404, 'workspace:not_found');
    expectStatus(await app.call('PATCH', `/v1/workspaces/${s}`, { token: owner.accessToken, json: { slug: taken.slug } }), 409, 'workspace:slug_already_exists');
    expectStatus(await app.call('PATCH', `/v1/workspaces/${s}`, { token: owner.accessToken, json: {} }), 400, 'general:validation_error');
  });

  it('an unknown or malformed slug is 404, the same as someone else’s', async () => {
    expectStatus(await app.call('GET', '/v1/workspaces/no-such-workspace', { token: owner.accessToken }), 404, 'workspace:not_found');
    expectStatus(await app.call('GET', '/v1/workspaces/NOT_A_SLUG!', { token: owner.accessToken }), 404, 'workspace:not_found');
  });

  it('deleting a workspace removes its projects, keys and memberships; its keys stop working at once', async () => {
    const ws = await createWorkspace(app, owner);
    const project = await createProject(app, ws.slug, owner);
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    expectStatus(await app.call('GET', `/v1/projects/${project.id}/keys/current`, { headers: { 'x-api-key': key.secret } }), 200);
    expectStatus(await app.call('DELETE', `/v1/workspaces/${ws.slug}`, { token: owner.accessToken }), 200);
    expectStatus(await app.call('GET', `/v1/projects/${project.id}/keys/current`, { headers: { 'x-api-key': key.secret } }), 401, 'apikey:invalid');
    expectStatus(await app.call('GET', `/v1/projects/${project.id}`, { token: owner.accessToken }), 404, 'project:not_found');
    const db = app.container.sql.db;
    expect(await db.selectFrom('projects').select('id').where('workspace_id', '=', ws.id).execute()).toEqual([]);
    expect(await db.selectFrom('api_keys').select('id').where('project_id', '=', project.id).execute()).toEqual([]);
    expect(await db.selectFrom('workspace_members').select('user_id').where('workspace_id', '=', ws.id).execute()).toEqual([]);
    // The slug is free again.
    expectStatus(await app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: { name: 'Again', slug: ws.slug } }), 201);
  });
});
