import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity, mailedToken, register, stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { codeFor, enableTotp, freshStep, tempTokenFor } from './helpers.ts';

describe.each(stacks())('per-account sign-in lockout ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  const attempt = (login: string, password: string) => app.call('POST', '/v1/auth/login', { json: { login, password } });

  it('10 wrong passwords in 15 min (by e-mail or handle) → even the right one gets 429 rate_limit:exceeded with Retry-After ≈ 15 min', async () => {
    const user = await register(app.call);
    for (let i = 0; i < 10; i++) {
      const r = await attempt(i % 2 ? user.email : user.handle, 'wrong-password-guess');
      expect(r.status).toBe(401);
      expect(r.body.error?.code).toBe('user:invalid_password');
    }
    const locked = await attempt(user.handle, user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toMatchObject({ code: 'rate_limit:exceeded', type: 'RATE_LIMITED' });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('password and TOTP failures count together; the TOTP step is locked too', async () => {
    await freshStep();
    const user = await register(app.call);
    const { secret } = await enableTotp(app.call, user);
    for (let i = 0; i < 5; i++) expect((await attempt(user.handle, 'wrong-password-guess')).status).toBe(401);
    const tempToken = await tempTokenFor(app.call, user);
    for (let i = 0; i < 5; i++) {
      const r = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret, 3 + i) } });
      expect(r.body.error?.code).toBe('totp:invalid_code');
    }
    const step = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret) } });
    expect(step.status).toBe(429);
    expect(step.body.error?.code).toBe('rate_limit:exceeded');
    expect((await attempt(user.handle, user.password)).status).toBe(429);
  });

  it('a completed sign-in clears the count: 9 failures, a success, 9 failures → not locked', async () => {
    const user = await register(app.call);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 9; i++) expect((await attempt(user.handle, 'wrong-password-guess')).status).toBe(401);
      expect((await attempt(user.handle, user.password)).status).toBe(200);
    }
  });

  it('an unknown login locks exactly like an account (the 429 tells nothing about existence)', async () => {
    const ghost = identity('ghost');
    for (let i = 0; i < 10; i++) expect((await attempt(ghost.email, 'any-password-here')).body.error?.code).toBe('user:invalid_password');
    const r = await attempt(ghost.email, 'any-password-here');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('a password reset lifts the lock', async () => {
    const user = await register(app.call);
    for (let i = 0; i < 10; i++) await attempt(user.handle, 'wrong-password-guess');
    expect((await attempt(user.handle, user.password)).status).toBe(429);
    await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const token = await mailedToken(app, user.email, '/reset-password');
    expect((await app.call('POST', '/v1/auth/reset-password', { json: { token, password: 'A-fresh-passphrase-77' } })).status).toBe(200);
    expect((await attempt(user.handle, 'A-fresh-passphrase-77')).status).toBe(200);
  });
});

describe('lockout duration', () => {
  it('the lock ends by itself after LOGIN_LOCKOUT_SECONDS', async () => {
    const app = await startAccountsApp({ env: { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_SECONDS: '1' } });
    try {
      const user = await register(app.call);
      for (let i = 0; i < 3; i++) await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: 'wrong-password-guess' } });
      const locked = await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).toBe('1');
      await new Promise((r) => setTimeout(r, 1100));
      expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
