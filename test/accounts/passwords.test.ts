import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, mailedToken, passwordlessAccount, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

describe.each(stacks())('passwords ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it.each([
    ['no current password', { newPassword: 'A-brand-new-passphrase' }, 'password:required_for_update'],
    ['no new password', { currentPassword: 'whatever-it-is' }, 'password:new_password_missing'],
    ['a wrong current password', { currentPassword: 'definitely-wrong', newPassword: 'A-brand-new-passphrase' }, 'password:incorrect'],
  ])('change with %s → 400 %s', async (_name, body, code) => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await app.call('POST', '/v1/me/password', { token: s.accessToken, json: body });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
  });

  it('change succeeds, ends the other sessions, keeps this one; the old password stops working', async () => {
    const user = await register(app.call);
    const mine = await login(app.call, user);
    const other = await login(app.call, user);
    const res = await app.call('POST', '/v1/me/password', { token: mine.accessToken, json: { currentPassword: user.password, newPassword: 'A-brand-new-passphrase' } });
    expect(res.status).toBe(200);
    expect(res.body.data.otherSessionsRevoked).toBe(1);
    expect((await app.call('GET', '/v1/me', { token: other.accessToken })).body.error?.code).toBe('session:not_found');
    expect((await app.call('GET', '/v1/me', { token: mine.accessToken })).status).toBe(200);
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).status).toBe(401);
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: 'A-brand-new-passphrase' } })).status).toBe(200);
  });

  it('change on an account without a password → 400 password:cannot_update_oauth_only; set works once, then password:already_set', async () => {
    const acct = await passwordlessAccount(app);
    const token = acct.accessToken;
    const change = await app.call('POST', '/v1/me/password', { token, json: { currentPassword: 'x', newPassword: 'A-brand-new-passphrase' } });
    expect(change.status).toBe(400);
    expect(change.body.error?.code).toBe('password:cannot_update_oauth_only');
    const set = await app.call('POST', '/v1/me/password/set', { token, json: { newPassword: 'My-first-passphrase' } });
    expect(set.status).toBe(200);
    const again = await app.call('POST', '/v1/me/password/set', { token, json: { newPassword: 'Another-passphrase-1' } });
    expect(again.status).toBe(400);
    expect(again.body.error?.code).toBe('password:already_set');
    expect((await app.call('POST', '/v1/auth/login', { json: { login: acct.handle, password: 'My-first-passphrase' } })).status).toBe(200);
  });

  it('forgot-password answers the same for known and unknown addresses', async () => {
    const user = await register(app.call);
    const known = await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const unknown = await app.call('POST', '/v1/auth/forgot-password', { json: { email: `ghost.${user.email}` } });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toEqual(known.body.data);
    await mailedToken(app, user.email, '/reset-password');
    expect(app.smtp.messages.some((m) => m.to.includes(`ghost.${user.email}`))).toBe(false);
  });

  it('reset by mailed token: single use, every session ends, the new password works', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const token = await mailedToken(app, user.email, '/reset-password');
    const res = await app.call('POST', '/v1/auth/reset-password', { json: { token, password: 'Reset-to-this-passphrase' } });
    expect(res.status).toBe(200);
    expect((await app.call('GET', '/v1/me', { token: s.accessToken })).body.error?.code).toBe('session:not_found');
    const again = await app.call('POST', '/v1/auth/reset-password', { json: { token, password: 'Another-passphrase-2' } });
    expect(again.status).toBe(400);
    expect(again.body.error?.code).toBe('token:invalid_reset');
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.email, password: 'Reset-to-this-passphrase' } })).status).toBe(200);
  });

  it('reset refuses a common password and an unknown token', async () => {
    expect((await app.call('POST', '/v1/auth/reset-password', { json: { token: 'unknown-token', password: 'A-fine-passphrase-9' } })).body.error?.code).toBe('token:invalid_reset');
    const weak = await app.call('POST', '/v1/auth/reset-password', { json: { token: 'unknown-token', password: 'iloveyou' } });
    expect(weak.body.error?.code).toBe('general:validation_error');
  });
});

describe('reset token expiry', () => {
  it('an expired reset token → 400 token:expired_reset', async () => {
    const app = await startAccountsApp({ env: { RESET_TOKEN_TTL_SECONDS: '1' } });
    try {
      const user = await register(app.call);
      await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
      const token = await mailedToken(app, user.email, '/reset-password');
      await new Promise((r) => setTimeout(r, 1100));
      const res = await app.call('POST', '/v1/auth/reset-password', { json: { token, password: 'Too-late-passphrase' } });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('token:expired_reset');
    } finally {
      await app.close();
    }
  });
});
