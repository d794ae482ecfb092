import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/net.ts';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.ts';
import { renderClientTypes, TYPES_DIR, writtenClientTypes } from './generate.ts';
import { ApiError, createClient } from './index.ts';

describe('typed client', () => {
  it('src/client/openapi/ matches the OpenAPI document (run `npm run client:generate` when this fails)', async () => {
    const expected = await renderClientTypes();
    expect(writtenClientTypes()).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) expect(readFileSync(join(TYPES_DIR, name), 'utf8'), name).toBe(content);
  }, 60_000);

  describe('against the app', () => {
    let t: TestApp;
    let token: string | null = null;
    let refreshes = 0;
    const api = () =>
      createClient({
        baseUrl: 'http://basalt.test',
        token: () => token,
        fetch: (input, init) => Promise.resolve(t.app.fetch(new Request(input, init))),
        refresh: async () => {
          refreshes += 1;
          return false;
        },
      });

    beforeAll(async () => {
      t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'false' } });
    });
    afterAll(() => t.close());

    it('unwraps the envelope, fills path parameters and pages by cursor', async () => {
      const created = await api().post('/v1/auth/register', { body: { email: 'client@example.com', handle: 'client_1', password: 'correct horse battery staple' } });
      expect(created.user.handle).toBe('client_1');
      const login = await api().post('/v1/auth/login', { body: { login: 'client_1', password: 'correct horse battery staple' } });
      if (login.totpRequired) throw new Error('no 2FA expected');
      token = login.accessToken;
      const me = await api().get('/v1/me');
      expect(me).toMatchObject({ handle: 'client_1', emailVerified: false });
      const sessions = await api().page('/v1/me/sessions');
      expect(sessions.data).toHaveLength(1);
      expect(sessions.nextCursor).toBeNull();
      const profile = await api().get('/v1/users/{handle}', { params: { handle: 'client_1' } });
      expect(profile.handle).toBe('client_1');
    });

    it('throws ApiError with the code, type, details and request id of an error envelope', async () => {
      const err = await api()
        .post('/v1/auth/register', { body: { email: 'not-an-email', handle: 'x', password: 'short' } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      const e = err as ApiError;
      expect(e).toMatchObject({ status: 400, code: 'general:validation_error', type: 'VALIDATION_ERROR' });
      expect(e.details.map((d) => d.field)).toEqual(expect.arrayContaining(['email', 'password']));
      expect(e.requestId).toMatch(/^req_/);
    });

    it('asks for a refresh once when the access token is rejected, then reports the 401', async () => {
      token = 'not-a-jwt';
      refreshes = 0;
      const err = (await api()
        .get('/v1/me')
        .catch((e: unknown) => e)) as ApiError;
      expect(err.status).toBe(401);
      expect(err.code).toBe('user:invalid_token');
      expect(refreshes).toBe(1);
    });

    it('reports an unreachable server and a non-envelope answer with the client codes', async () => {
      const closed = createClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
      await expect(closed.get('/v1/me')).rejects.toMatchObject({ code: 'client:network_error', status: 0 });
      // A proxy's HTML error page in front of the API.
      const proxy = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = proxy.address() as AddressInfo;
        await expect(createClient({ baseUrl: `http://127.0.0.1:${port}` }).get('/v1/me')).rejects.toMatchObject({ code: 'client:invalid_response', status: 502 });
      } finally {
        proxy.close();
      }
    });
  });
});
