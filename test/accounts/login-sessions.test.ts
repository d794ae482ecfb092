import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, passwordlessAccount, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status, code, type and message: what must match between two refusals. */
const shape = (r: { status: number; body: { error: { code: string; type: string; message: string; details?: unknown } | null } }) => ({
  status: r.status,
  error: { ...r.body.error, requestId: undefined },
});

describe.each(stacks())('login and sessions ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  });
  afterAll(() => app.close());

  it('signs in by e-mail or handle; the refresh token also comes as an httpOnly cookie', async () => {
    const user = await register(app.call);
    for (const loginName of [user.email.toUpperCase(), user.handle]) {
      const res = await app.call('POST', '/v1/auth/login', { json: { login: loginName, password: user.password } });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, totpRequired: false, user: { id: user.id } });
      expect(res.body.data.refreshToken.length).toBeGreaterThanOrEqual(43 + 29);
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toContain(`basalt_refresh=${res.body.data.refreshToken}`);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).toMatch(/Path=\/v1\/auth/);
      const me = await app.call('GET', '/v1/me', { token: res.body.data.accessToken });
      expect(me.body.data.id).toBe(user.id);
    }
  });

  it('a wrong password and an unknown login are indistinguishable', async () => {
    const user = await register(app.call);
    const wrong = await app.call('POST', '/v1/auth/login', { json: { login: user.email, password: 'not-the-password' } });
    const unknown = await app.call('POST', '/v1/auth/login', { json: { login: `nobody.${user.email}`, password: 'not-the-password' } });
    const unknownHandle = await app.call('POST', '/v1/auth/login', { json: { login: 'no_such_handle_x', password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'user:invalid_password', type: 'AUTH_FAILED', message: 'Invalid email or password' });
    expect(shape(unknown)).toEqual(shape(wrong));
    expect(shape(unknownHandle)).toEqual(shape(wrong));
    expect(Object.keys(unknown.body.error ?? {}).sort()).toEqual(Object.keys(wrong.body.error ?? {}).sort());
  });

  it('an unknown login costs what a wrong password costs (a dummy argon2 verify)', async () => {
    const user = await register(app.call);
    const time = async (loginName: string) => {
      const start = performance.now();
      await app.call('POST', '/v1/auth/login', { json: { login: loginName, password: 'wrong-password-here' } });
      return performance.now() - start;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
      wrong.push(await time(user.email));
      unknown.push(await time(`ghost${i}.${user.email}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('an account without a password → 401 user:password_not_set', async () => {
    const who = await passwordlessAccount(app);
    const res = await app.call('POST', '/v1/auth/login', { json: { login: who.handle, password: 'anything-at-all' } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'user:password_not_set', type: 'AUTH_FAILED' });
  });

  it.each([
    ['no Authorization header', undefined, 'user:unauthorized'],
    ['a token with a bad signature', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwic2lkIjoieSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl', 'user:invalid_token'],
    ['a token of the wrong shape', 'not-a-jwt', 'user:invalid_token'],
    ['alg none', 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwic2lkIjoieSIsImV4cCI6OTk5OTk5OTk5OX0.', 'user:invalid_token'],
  ])('GET /v1/me with %s → 401 %s', async (_name, token, code) => {
    const res = await app.call('GET', '/v1/me', token ? { token } : {});
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe(code);
    expect(res.body.error?.type).toBe('UNAUTHORIZED');
  });

  it('a malformed Authorization header → 401 user:invalid_token', async () => {
    const res = await app.call('GET', '/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'user:invalid_token', message: 'Invalid token' });
  });

  it('refresh rotates: the new pair works, the old token is dead after the grace window and its replay ends the session', async () => {
    const user = await register(app.call);
    const first = await login(app.call, user);
    const rotated = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.refreshToken).not.toBe(first.refreshToken);
    expect((await app.call('GET', '/v1/me', { token: rotated.body.data.accessToken })).status).toBe(200);
    await sleep(1200);
    const replay = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.error?.code).toBe('user:invalid_token');
    // The whole session is gone: the newest tokens too.
    const me = await app.call('GET', '/v1/me', { token: rotated.body.data.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.error?.code).toBe('session:not_found');
    expect((await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: rotated.body.data.refreshToken } })).body.error?.code).toBe('session:not_found');
  });

  it('concurrent refreshes with one token inside the grace window all succeed with one successor', async () => {
    const user = await register(app.call);
    const first = await login(app.call, user);
    const results = await Promise.all(Array.from({ length: 8 }, () => app.call('POST', '/v1/auth/refresh', { json: { refreshToken: first.refreshToken } })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const successors = new Set(results.map((r) => r.body.data.refreshToken));
    expect(successors.size).toBe(1);
    // The successor is live and rotates on.
    const next = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: [...successors][0] } });
    expect(next.status).toBe(200);
    expect((await app.call('GET', '/v1/me', { token: next.body.data.accessToken })).status).toBe(200);
  });

  it('refresh reads the cookie; no token → 401 user:no_refresh_token; an unusable cookie → 401 user:invalid_session', async () => {
    const user = await register(app.call);
    const first = await login(app.call, user);
    const viaCookie = await app.call('POST', '/v1/auth/refresh', { headers: { cookie: `basalt_refresh=${first.refreshToken}` } });
    expect(viaCookie.status).toBe(200);
    const none = await app.call('POST', '/v1/auth/refresh');
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('user:no_refresh_token');
    const junk = await app.call('POST', '/v1/auth/refresh', { headers: { cookie: 'basalt_refresh=garbage' } });
    expect(junk.status).toBe(401);
    expect(junk.body.error?.code).toBe('user:invalid_session');
  });

  it('logout ends this session: the next request with its token is refused', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const out = await app.call('POST', '/v1/auth/logout', { token: s.accessToken });
    expect(out.status).toBe(200);
    const me = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.error?.code).toBe('session:not_found');
  });

  it('lists my sessions (current marked), revokes one, revokes all others', async () => {
    const user = await register(app.call);
    const a = await login(app.call, user, { 'user-agent': 'device-a' });
    const b = await login(app.call, user, { 'user-agent': 'device-b' });
    const c = await login(app.call, user, { 'user-agent': 'device-c' });
    const list = await app.call('GET', '/v1/me/sessions', { token: a.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(3);
    expect(list.body.data.find((s: { current: boolean }) => s.current)).toMatchObject({ id: a.sessionId, userAgent: 'device-a' });
    const revoke = await app.call('DELETE', `/v1/me/sessions/${b.sessionId}`, { token: a.accessToken });
    expect(revoke.status).toBe(200);
    expect((await app.call('GET', '/v1/me', { token: b.accessToken })).body.error?.code).toBe('session:not_found');
    const others = await app.call('DELETE', '/v1/me/sessions', { token: a.accessToken });
    expect(others.body.data.revoked).toBe(1);
    expect((await app.call('GET', '/v1/me', { token: c.accessToken })).status).toBe(401);
    expect((await app.call('GET', '/v1/me', { token: a.accessToken })).status).toBe(200);
  });

  it("cannot revoke another user's session (404, nothing revoked)", async () => {
    const alice = await login(app.call, await register(app.call));
    const bob = await login(app.call, await register(app.call));
    const res = await app.call('DELETE', `/v1/me/sessions/${bob.sessionId}`, { token: alice.accessToken });
    expect(res.status).toBe(404);
    expect((await app.call('GET', '/v1/me', { token: bob.accessToken })).status).toBe(200);
  });

  it('a session record with a malformed user id → 401 session:invalid_user_id', async () => {
    const s = await login(app.call, await register(app.call));
    const raw = await app.container.kv.get(`sess:${s.sessionId}`);
    await app.container.kv.set(`sess:${s.sessionId}`, JSON.stringify({ ...JSON.parse(raw ?? '{}'), userId: '../../etc' }));
    const res = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('session:invalid_user_id');
  });
});

describe('token and session lifetimes', () => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ env: { ACCESS_TOKEN_TTL_SECONDS: '1', SESSION_IDLE_TIMEOUT_SECONDS: '2', SESSION_ABSOLUTE_LIFETIME_SECONDS: '3' } });
  });
  afterAll(() => app.close());

  it('an expired access token → 401 user:token_expired ("Token expired")', async () => {
    const s = await login(app.call, await register(app.call));
    await sleep(2100);
    const res = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'user:token_expired', message: 'Token expired' });
  });

  it('a session idle past its timeout → 401 session:expired', async () => {
    const s = await login(app.call, await register(app.call));
    await sleep(2200);
    const res = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken: s.refreshToken } });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('session:expired');
  });

  it('a session past its absolute lifetime → 401 session:expired, even when in use', async () => {
    const user = await register(app.call);
    let { refreshToken } = await login(app.call, user);
    // Keep it busy: refresh every second, so it never idles out.
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const r = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken } });
      if (r.status !== 200) {
        expect(r.body.error?.code).toBe('session:expired');
        return;
      }
      refreshToken = r.body.data.refreshToken;
    }
    await sleep(600);
    const last = await app.call('POST', '/v1/auth/refresh', { json: { refreshToken } });
    expect(last.status).toBe(401);
    expect(last.body.error?.code).toBe('session:expired');
  });
});

describe('cookies in production', () => {
  it('the refresh cookie is Secure', async () => {
    const app = await startAccountsApp({ env: { NODE_ENV: 'production' } });
    try {
      const user = await register(app.call);
      const res = await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
      expect(res.headers.get('set-cookie')).toMatch(/Secure/);
    } finally {
      await app.close();
    }
  });
});
