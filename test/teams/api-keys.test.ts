import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/create-app.ts';
import { buildServices } from '../../src/app/services.ts';
import { sha256 } from '../../src/lib/crypto.ts';
import { apiClient } from '../helpers/http.ts';
import { waitFor } from '../helpers/net.ts';
import { fetchFrom, serveApp, type ServedApp } from '../guards/support.ts';
import { stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { createKey, createProject, createWorkspace, expectStatus, person, type Person } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(stacks())('API keys ($name)', (stack) => {
  let app: AccountsApp;
  let owner: Person;
  let project: { id: string };
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { API_KEY_CACHE_TTL_SECONDS: '1' } });
    owner = await person(app);
    const ws = await createWorkspace(app, owner);
    project = await createProject(app, ws.slug, owner);
  });
  afterAll(() => app.close());

  const current = (secret: string, projectId = project.id, header: 'x-api-key' | 'bearer' = 'x-api-key') =>
    app.call('GET', `/v1/projects/${projectId}/keys/current`, header === 'bearer' ? { token: secret } : { headers: { 'x-api-key': secret } });

  it('shows the secret once (bsk_ + 304 random bits), keeps a display prefix and stores only its SHA-256', async () => {
    const res = await app.call('POST', `/v1/projects/${project.id}/keys`, { token: owner.accessToken, json: { name: 'ingest', scopes: ['logs:write', 'logs:write', 'logs:read'] } });
    expectStatus(res, 201);
    const key = res.body.data;
    expect(key.secret).toMatch(/^bsk_[A-Za-z0-9_-]{51}$/);
    expect(key).toMatchObject({ name: 'ingest', projectId: project.id, prefix: key.secret.slice(0, 12), scopes: ['logs:write', 'logs:read'], allowedIps: null, expiresAt: null, lastUsedAt: null, createdBy: owner.id });

    const list = await app.call('GET', `/v1/projects/${project.id}/keys`, { token: owner.accessToken });
    expectStatus(list, 200);
    expect(list.text).not.toContain(key.secret);
    const listed = (list.body.data as Array<{ id: string }>).find((k) => k.id === key.id);
    expect(listed).toMatchObject({ prefix: key.prefix, scopes: ['logs:write', 'logs:read'] });
    expect(listed).not.toHaveProperty('secret');

    const rows = await app.container.sql.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).execute();
    expect(rows[0]?.key_hash).toBe(sha256(key.secret));
    expect(JSON.stringify(rows)).not.toContain(key.secret);
  });

  it('authenticates with X-API-Key or Authorization: Bearer; the route returns the key’s own metadata', async () => {
    const key = await createKey(app, project.id, owner, { scopes: ['posts:read'], allowedIps: ['127.0.0.1', '10.1.2.3/8'] });
    for (const header of ['x-api-key', 'bearer'] as const) {
      const res = await current(key.secret, project.id, header);
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({ id: key.id, projectId: project.id, prefix: key.prefix, scopes: ['posts:read'], allowedIps: ['127.0.0.1/32', '10.0.0.0/8'] });
    }
  });

  it('refuses unknown, malformed and foreign keys', async () => {
    expectStatus(await current(`bsk_${'A'.repeat(51)}`), 401, 'apikey:invalid');
    expectStatus(await current('bsk_short'), 401, 'apikey:invalid');
    expectStatus(await current('not-a-key-at-all'), 401, 'apikey:invalid');
    const res = await current(`bsk_${'B'.repeat(51)}`, project.id, 'bearer');
    expectStatus(res, 401, 'apikey:invalid');
    expect(res.body.error).toMatchObject({ type: 'UNAUTHORIZED', message: 'Invalid or revoked API key' });
    // A key of project P on project Q: not found, whatever Q is.
    const stranger = await person(app);
    const other = await createProject(app, (await createWorkspace(app, stranger)).slug, stranger);
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    expectStatus(await current(key.secret, other.id), 404, 'project:not_found');
    expectStatus(await current(key.secret, 'prj_nope'), 404, 'project:not_found');
  });

  it('revocation takes effect immediately; revoking twice or an unknown key is 404 apikey:not_found', async () => {
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    expectStatus(await current(key.secret), 200);
    expectStatus(await app.call('DELETE', `/v1/projects/${project.id}/keys/${key.id}`, { token: owner.accessToken }), 200);
    expectStatus(await current(key.secret), 401, 'apikey:invalid');
    expectStatus(await app.call('DELETE', `/v1/projects/${project.id}/keys/${key.id}`, { token: owner.accessToken }), 404, 'apikey:not_found');
    expectStatus(await app.call('DELETE', `/v1/projects/${project.id}/keys/key_unknown`, { token: owner.accessToken }), 404, 'apikey:not_found');
    const list = await app.call('GET', `/v1/projects/${project.id}/keys`, { token: owner.accessToken });
    expect((list.body.data as Array<{ id: string }>).some((k) => k.id === key.id)).toBe(false);
  });

  it('a key cannot be revoked through another project of the same admin', async () => {
    const other = await createProject(app, (await createWorkspace(app, owner)).slug, owner);
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    expectStatus(await app.call('DELETE', `/v1/projects/${other.id}/keys/${key.id}`, { token: owner.accessToken }), 404, 'apikey:not_found');
    expectStatus(await current(key.secret), 200);
  });

  it('another process’s cached key stops working within the cache TTL (1 s here)', async () => {
    // A second app on the same stores with its own services: another process's memory.
    const services = buildServices(app.container);
    const otherApp = createApp(app.container, { services });
    const other = apiClient((req) => otherApp.fetch(req));
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    const otherCurrent = () => other('GET', `/v1/projects/${project.id}/keys/current`, { headers: { 'x-api-key': key.secret } });
    expectStatus(await otherCurrent(), 200);
    expectStatus(await app.call('DELETE', `/v1/projects/${project.id}/keys/${key.id}`, { token: owner.accessToken }), 200);
    expectStatus(await current(key.secret), 401, 'apikey:invalid');
    const revokedAt = Date.now();
    await waitFor(async () => (await otherCurrent()).status === 401, 5000, 50);
    // Cached before the revocation, so refused at most one TTL after it (plus slack for a busy machine).
    expect(Date.now() - revokedAt).toBeLessThan(3000);
    expectStatus(await otherCurrent(), 401, 'apikey:invalid');
  });

  it('an expired key is refused, cached or not', async () => {
    const expiresAt = Date.now() + 1500;
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'], expiresAt: new Date(expiresAt).toISOString() });
    expectStatus(await current(key.secret), 200);
    await sleep(Math.max(0, expiresAt - Date.now() + 20));
    expectStatus(await current(key.secret), 401, 'apikey:invalid');
  });

  it('validates the body: scopes, expiry in the future, allowedIps entries', async () => {
    const post = (json: unknown) => app.call('POST', `/v1/projects/${project.id}/keys`, { token: owner.accessToken, json });
    expectStatus(await post({ name: 'k', scopes: [] }), 400, 'general:validation_error');
    expectStatus(await post({ name: 'k', scopes: ['logs:admin'] }), 400, 'general:validation_error');
    expectStatus(await post({ name: 'k', scopes: ['logs:read'], expiresAt: 'tomorrow' }), 400, 'general:validation_error');
    const past = await post({ name: 'k', scopes: ['logs:read'], expiresAt: new Date(Date.now() - 1000).toISOString() });
    expectStatus(past, 400, 'general:validation_error');
    expect(past.body.error?.details).toEqual([{ field: 'expiresAt', issue: 'must be in the future' }]);
    const bad = await post({ name: 'k', scopes: ['logs:read'], allowedIps: ['10.0.0.0/8', '10.0.0.0/33', 'banana', '2001:db8::/32'] });
    expectStatus(bad, 400, 'general:invalid_ip_address');
    expect(bad.body.error?.details?.map((d) => d.field)).toEqual(['allowedIps.1', 'allowedIps.2']);
    expectStatus(await post({ name: 'k', scopes: ['logs:read'], allowedIps: [] }), 400, 'general:validation_error');
  });

  it('records last use without a database write per request', async () => {
    const key = await createKey(app, project.id, owner, { scopes: ['logs:read'] });
    const stored = async () => (await app.container.sql.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirst())?.last_used_at ?? null;
    expectStatus(await current(key.secret), 200);
    // The first use is written (in the background), then at most once a minute per key.
    await waitFor(async () => (await stored()) !== null, 3000, 20);
    const first = (await stored()) as number;
    await sleep(5);
    for (let i = 0; i < 20; i++) expectStatus(await current(key.secret), 200);
    const lastRequestAt = Date.now();
    await sleep(50);
    expect(await stored()).toBe(first);
    // This process knows the newest use and reports it.
    const listed = ((await app.call('GET', `/v1/projects/${project.id}/keys`, { token: owner.accessToken })).body.data as Array<{ id: string; lastUsedAt: string }>).find((k) => k.id === key.id);
    const shown = Date.parse(listed?.lastUsedAt ?? '');
    expect(shown).toBeGreaterThan(first);
    expect(shown).toBeLessThanOrEqual(lastRequestAt);
    await app.services.apiKeys.flushLastUsed();
    expect(await stored()).toBe(shown);
  });

  it('deleting a project removes its keys at once', async () => {
    const p = await createProject(app, (await createWorkspace(app, owner)).slug, owner);
    const key = await createKey(app, p.id, owner, { scopes: ['logs:read'] });
    expectStatus(await current(key.secret, p.id), 200);
    expectStatus(await app.call('DELETE', `/v1/projects/${p.id}`, { token: owner.accessToken }), 200);
    expectStatus(await current(key.secret, p.id), 401, 'apikey:invalid');
  });
});

describe.each(stacks())('API key IP allowlist on a real socket ($name)', (stack) => {
  let app: AccountsApp;
  let server: ServedApp;
  let owner: Person;
  let projectId: string;
  beforeAll(async () => {
    // Only 127.0.0.1 is a trusted proxy: its X-Forwarded-For counts; 127.0.0.2's does not.
    app = await startAccountsApp({ stack, env: { TRUSTED_PROXIES: '127.0.0.1' } });
    server = await serveApp(app.app);
    owner = await person(app);
    projectId = (await createProject(app, (await createWorkspace(app, owner)).slug, owner)).id;
  });
  afterAll(async () => {
    await server.close();
    await app.close();
  });

  const from = (local: string, secret: string, forwardedFor?: string) =>
    apiClient(fetchFrom(local))('GET', `${server.url()}/v1/projects/${projectId}/keys/current`, {
      headers: { 'x-api-key': secret, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });

  it('admits addresses inside allowedIps and refuses the rest with 403 apikey:ip_not_allowed', async () => {
    const key = await createKey(app, projectId, owner, { scopes: ['logs:write'], allowedIps: ['203.0.113.0/24', '2001:db8::/32', '127.0.0.2'] });
    expectStatus(await from('127.0.0.1', key.secret, '203.0.113.9'), 200);
    expectStatus(await from('127.0.0.1', key.secret, '198.51.100.7, 2001:db8::5'), 200);
    const refused = await from('127.0.0.1', key.secret, '198.51.100.7');
    expectStatus(refused, 403, 'apikey:ip_not_allowed');
    expect(refused.body.error?.type).toBe('FORBIDDEN');
    // The proxy itself, with no forwarded address, is not on the list.
    expectStatus(await from('127.0.0.1', key.secret), 403, 'apikey:ip_not_allowed');
    // An untrusted peer cannot claim an allowed address; its own address counts.
    expectStatus(await from('127.0.0.3', key.secret, '203.0.113.9'), 403, 'apikey:ip_not_allowed');
    expectStatus(await from('127.0.0.2', key.secret, '198.51.100.7'), 200);
  });

  it('a key without an allowlist works from anywhere; a bad key is still 401 first', async () => {
    const key = await createKey(app, projectId, owner, { scopes: ['logs:write'] });
    expectStatus(await from('127.0.0.3', key.secret), 200);
    expectStatus(await from('127.0.0.1', key.secret, '198.51.100.7'), 200);
    expectStatus(await from('127.0.0.1', `bsk_${'C'.repeat(51)}`, '203.0.113.9'), 401, 'apikey:invalid');
  });
});
