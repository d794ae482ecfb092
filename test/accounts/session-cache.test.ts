import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/create-app.ts';
import { buildServices } from '../../src/app/services.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';
import { waitFor } from '../helpers/net.ts';
import { login, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

/** A second app on the same stores with services of its own: another process's memory. */
function otherProcess(app: AccountsApp): ApiCall {
  const other = createApp(app.container, { services: buildServices(app.container) });
  return apiClient((req) => other.fetch(req));
}

describe.each(stacks())('session and user cache ($name)', (stack) => {
  describe('with a long TTL (30 s)', () => {
    let app: AccountsApp;
    beforeAll(async () => {
      app = await startAccountsApp({ stack, env: { SESSION_CACHE_TTL_SECONDS: '30' } });
    });
    afterAll(() => app.close());

    it('a logout in this process is refused at once, though the session was just cached', async () => {
      const s = await login(app.call, await register(app.call));
      expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
      expect((await app.call('POST', '/v1/auth/logout', { token: s.accessToken })).status).toBe(200);
      const me = await app.call('GET', '/v1/me', { token: s.accessToken });
      expect(me.status).toBe(401);
      expect(me.body.error?.code).toBe('session:not_found');
    });

    it('"log out everywhere" ends every cached session of the user at once', async () => {
      const user = await register(app.call);
      const a = await login(app.call, user);
      const b = await login(app.call, user);
      for (const s of [a, b]) expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
      expect((await app.call('DELETE', '/v1/me/sessions', { token: a.accessToken })).status).toBe(200);
      expect((await app.call('GET', '/v1/me', { token: b.accessToken })).body.error?.code).toBe('session:not_found');
      expect((await app.call('GET', '/v1/me', { token: a.accessToken })).status).toBe(200);
    });

    it('a profile change shows in GET /v1/me at once', async () => {
      const s = await login(app.call, await register(app.call));
      expect((await app.call('GET', '/v1/me', { token: s.accessToken })).body.data.displayName).toBeNull();
      expect((await app.call('PATCH', '/v1/me', { token: s.accessToken, json: { displayName: 'Cached Not' } })).status).toBe(200);
      expect((await app.call('GET', '/v1/me', { token: s.accessToken })).body.data.displayName).toBe('Cached Not');
    });
  });

  describe('across processes', () => {
    let app: AccountsApp;
    beforeAll(async () => {
      app = await startAccountsApp({ stack, env: { SESSION_CACHE_TTL_SECONDS: '1' } });
    });
    afterAll(() => app.close());

    it('a session revoked by another process is refused here within the TTL (1 s)', async () => {
      const other = otherProcess(app);
      const s = await login(app.call, await register(app.call));
      expect((await other('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
      expect((await app.call('POST', '/v1/auth/logout', { token: s.accessToken })).status).toBe(200);
      const revokedAt = Date.now();
      await waitFor(async () => (await other('GET', '/v1/me', { token: s.accessToken })).status === 401, 5000, 50);
      // Cached before the logout, so refused at most one TTL after it (plus slack for a busy machine).
      expect(Date.now() - revokedAt).toBeLessThan(3000);
      expect((await other('GET', '/v1/me', { token: s.accessToken })).body.error?.code).toBe('session:not_found');
    });

    it("another process's profile change shows here within the TTL", async () => {
      const other = otherProcess(app);
      const s = await login(app.call, await register(app.call));
      expect((await other('GET', '/v1/me', { token: s.accessToken })).body.data.bio).toBeNull();
      expect((await app.call('PATCH', '/v1/me', { token: s.accessToken, json: { bio: 'changed elsewhere' } })).status).toBe(200);
      await waitFor(async () => (await other('GET', '/v1/me', { token: s.accessToken })).body.data.bio === 'changed elsewhere', 5000, 50);
    });
  });

  describe('with the cache off (SESSION_CACHE_TTL_SECONDS=0)', () => {
    let app: AccountsApp;
    beforeAll(async () => {
      app = await startAccountsApp({ stack, env: { SESSION_CACHE_TTL_SECONDS: '0' } });
    });
    afterAll(() => app.close());

    it('a revocation by another process is refused on the very next request', async () => {
      const other = otherProcess(app);
      const s = await login(app.call, await register(app.call));
      expect((await other('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
      expect((await app.call('POST', '/v1/auth/logout', { token: s.accessToken })).status).toBe(200);
      expect((await other('GET', '/v1/me', { token: s.accessToken })).body.error?.code).toBe('session:not_found');
    });
  });
});
