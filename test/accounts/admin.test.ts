import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, mailedToken, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

describe.each(stacks())('admin: users, roles, bans ($name)', (stack) => {
  let app: AccountsApp;
  let adminToken: string;
  let adminId: string;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
    const admin = await register(app.call);
    // What `basalt admin promote` does (the CLI has its own test).
    await app.services.users.update(admin.id, { role: 'admin' });
    adminToken = (await login(app.call, admin)).accessToken;
    adminId = admin.id;
  });
  afterAll(() => app.close());

  it('refuses anonymous callers (401) and non-admins (403 user:permission_insufficient)', async () => {
    expect((await app.call('GET', '/v1/admin/users')).body.error?.code).toBe('user:unauthorized');
    const s = await login(app.call, await register(app.call));
    for (const [method, path] of [
      ['GET', '/v1/admin/users'],
      ['PATCH', `/v1/admin/users/${adminId}`],
      ['POST', `/v1/admin/users/${adminId}/ban`],
      ['DELETE', `/v1/admin/users/${adminId}/ban`],
    ] as const) {
      const res = await app.call(method, path, { token: s.accessToken, ...(method === 'PATCH' ? { json: { role: 'user' } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'user:permission_insufficient', type: 'FORBIDDEN' });
    }
  });

  it('lists and searches users by handle or e-mail prefix, page by page', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await register(app.call));
    const prefix = made[0]?.handle.slice(0, made[0].handle.lastIndexOf('_')) ?? '';
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const res = await app.call('GET', `/v1/admin/users?q=${encodeURIComponent(prefix)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u: { id: string }) => u.id));
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    for (const u of made) expect(seen).toContain(u.id);
    expect(new Set(seen).size).toBe(seen.length);
    const byEmail = await app.call('GET', `/v1/admin/users?q=${encodeURIComponent(made[2]?.email ?? '')}`, { token: adminToken });
    expect(byEmail.body.data.map((u: { id: string }) => u.id)).toEqual([made[2]?.id]);
    expect(byEmail.text).not.toMatch(/argon2/);
  });

  it('sets roles', async () => {
    const user = await register(app.call);
    const res = await app.call('PATCH', `/v1/admin/users/${user.id}`, { token: adminToken, json: { role: 'admin' } });
    expect(res.status).toBe(200);
    expect(res.body.data.role).toBe('admin');
    const theirs = (await login(app.call, user)).accessToken;
    expect((await app.call('GET', '/v1/admin/users', { token: theirs })).status).toBe(200);
    expect((await app.call('PATCH', '/v1/admin/users/usr_000000000000000000000000000', { token: adminToken, json: { role: 'user' } })).body.error?.code).toBe('user:not_found');
  });

  it('a ban ends every session at once: old tokens and new logins get 403 user:banned; unban restores', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const ban = await app.call('POST', `/v1/admin/users/${user.id}/ban`, { token: adminToken, json: { reason: 'spam' } });
    expect(ban.status).toBe(200);
    expect(ban.body.data).toMatchObject({ banned: true, banReason: 'spam' });
    const me = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(me.status).toBe(403);
    expect(me.body.error).toMatchObject({ code: 'user:banned', type: 'FORBIDDEN' });
    expect((await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: s.refreshToken } })).status).toBe(401);
    const again = await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
    expect(again.status).toBe(403);
    expect(again.body.error?.code).toBe('user:banned');
    // A wrong password still answers like any wrong password: bans are not an oracle.
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: 'wrong-password' } })).body.error?.code).toBe('user:invalid_password');
    expect((await app.call('DELETE', `/v1/admin/users/${user.id}/ban`, { token: adminToken })).body.data.banned).toBe(false);
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).status).toBe(200);
  });

  it('a ban with an expiry lapses by itself; a past expiry is refused', async () => {
    const user = await register(app.call);
    const past = await app.call('POST', `/v1/admin/users/${user.id}/ban`, { token: adminToken, json: { expiresAt: new Date(Date.now() - 1000).toISOString() } });
    expect(past.status).toBe(400);
    const soon = new Date(Date.now() + 1200).toISOString();
    expect((await app.call('POST', `/v1/admin/users/${user.id}/ban`, { token: adminToken, json: { expiresAt: soon } })).status).toBe(200);
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1400));
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).status).toBe(200);
  });

  it('admins cannot ban themselves', async () => {
    const res = await app.call('POST', `/v1/admin/users/${adminId}/ban`, { token: adminToken, json: {} });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('FORBIDDEN');
  });

  it('an admin sends a reset link', async () => {
    const user = await register(app.call);
    const res = await app.call('POST', `/v1/admin/users/${user.id}/password-reset`, { token: adminToken });
    expect(res.status).toBe(200);
    const token = await mailedToken(app, user.email, '/reset-password');
    expect((await app.call('POST', '/v1/auth/reset-password', { json: { token, password: 'Admin-sent-reset-1' } })).status).toBe(200);
  });
});
