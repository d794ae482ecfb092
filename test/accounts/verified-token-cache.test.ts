import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/modules/sessions/verified-token-cache.ts';
import { login, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Access tokens are checked once and their claims cached (src/modules/sessions): the cache
// must change nothing a client can observe. Each case uses the token first, so the later
// request is answered from the cache.
describe.each(stacks())('verified access tokens, cached ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { ACCESS_TOKEN_TTL_SECONDS: '2' } });
  });
  afterAll(() => app.close());

  it('a token used while valid is refused with user:token_expired once it expires', async () => {
    const s = await login(app.call, await register(app.call));
    expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
    await sleep(3100);
    const res = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('user:token_expired');
  });

  it('logging out ends a cached token on the very next request', async () => {
    const s = await login(app.call, await register(app.call));
    expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
    expect((await app.call('POST', '/v1/auth/logout', { token: s.accessToken })).status).toBe(200);
    const res = await app.call('GET', '/v1/me', { token: s.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('session:not_found');
  });

  it('a tampered copy of a cached token is still refused', async () => {
    const s = await login(app.call, await register(app.call));
    expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(200);
    const [header, payload, signature] = s.accessToken.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'AB' : 'AA'}`;
    const res = await app.call('GET', '/v1/me', { token: `${header}.${payload}.${flipped}` });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('user:invalid_token');
  });
});

describe('VerifiedTokenCache', () => {
  const claims = (expiresAt: number) => ({ sub: 'usr_x', sid: 'ses_x', expiresAt });

  it('keeps claims until the token expires or the entry is older than maxAge, whichever comes first', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 10, maxAgeMs: 1_000 });
    cache.set('long', claims(60_000), 0);
    cache.set('short', claims(500), 0);
    expect(cache.get('long', 999)).toEqual(expect.objectContaining(claims(60_000)));
    expect(cache.get('long', 1_000)).toBeUndefined();
    expect(cache.get('short', 499)).toBeDefined();
    expect(cache.get('short', 500)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2, maxAgeMs: 60_000 });
    cache.set('a', claims(60_000), 0);
    cache.set('b', claims(60_000), 0);
    cache.set('c', claims(60_000), 0);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)).toBeDefined();
    expect(cache.get('c', 1)).toBeDefined();
  });
});
