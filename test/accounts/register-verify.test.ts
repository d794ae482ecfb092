import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity, mailedToken, register, login, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

describe.each(stacks())('register and verify ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({
      stack,
      extend: (router, _container, services) => {
        // A stand-in for the actions later modules guard (posts.create is in the default list).
        router.post('/v1/__test/needs-verified', async (c) => {
          const actor = c.get('actor');
          if (!actor) return c.json({ ok: false }, 401);
          await services.accounts.requireVerified(actor.userId, 'posts.create');
          return c.json({ success: true, data: { allowed: true }, error: null, meta: { timestamp: new Date().toISOString() } });
        });
      },
    });
  });
  afterAll(() => app.close());

  it('creates the account (201), normalises input, never returns a hash', async () => {
    const who = identity('norm');
    const res = await app.call('POST', '/v1/auth/register', { json: { email: `  ${who.email.toUpperCase()} `, handle: who.handle.toUpperCase(), password: who.password } });
    expect(res.status).toBe(201);
    expect(res.body.data.user).toMatchObject({ email: who.email, handle: who.handle, emailVerified: false, role: 'user', hasPassword: true });
    expect(res.body.data.verificationEmailSent).toBe(true);
    expect(res.text).not.toMatch(/argon2|password_hash|passwordHash/);
  });

  it.each([
    ['handle too short', { handle: 'ab' }, 'handle'],
    ['handle with a dash', { handle: 'has-dash' }, 'handle'],
    ['handle too long', { handle: 'a'.repeat(31) }, 'handle'],
    ['invalid email', { email: 'not-an-email' }, 'email'],
    ['password too short', { password: 'short7!' }, 'password'],
    ['password too long', { password: 'x'.repeat(129) }, 'password'],
    ['password among the most common', { password: 'password123' }, 'password'],
    ['missing handle', { handle: undefined }, 'handle'],
  ])('refuses %s → 400 general:validation_error naming the field', async (_name, override, field) => {
    const res = await app.call('POST', '/v1/auth/register', { json: { ...identity('bad'), ...override } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'general:validation_error', type: 'VALIDATION_ERROR' });
    expect(res.body.error?.details?.map((d) => d.field)).toContain(field);
  });

  it('refuses a taken e-mail with 409 user:email_already_exists (seed 003 message)', async () => {
    const user = await register(app.call);
    const res = await app.call('POST', '/v1/auth/register', { json: { ...identity('dupe'), email: user.email.toUpperCase() } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'user:email_already_exists', type: 'VALIDATION_ERROR', message: 'User with this email already exists' });
  });

  it('refuses a taken handle case-insensitively with 409 user:handle_already_exists', async () => {
    const user = await register(app.call);
    const res = await app.call('POST', '/v1/auth/register', { json: { ...identity('dupe'), handle: user.handle.toUpperCase() } });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('user:handle_already_exists');
  });

  it('two concurrent registrations of one e-mail: one account', async () => {
    const who = identity('race');
    const results = await Promise.all([0, 1, 2, 3].map((i) => app.call('POST', '/v1/auth/register', { json: { ...who, handle: `${who.handle.slice(0, 25)}_r${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error?.code === 'user:email_already_exists')).toBe(true);
  });

  it('mails a verification link; the token verifies once', async () => {
    const user = await register(app.call);
    const mail = await app.smtp.waitForMail((m) => m.to.includes(user.email));
    expect(mail.subject).toMatch(/verify|confirm/i);
    const token = await mailedToken(app, user.email, '/verify-email');
    const first = await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    expect(first.status).toBe(200);
    expect(first.body.data.user.emailVerified).toBe(true);
    const again = await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    expect(again.status).toBe(400);
    expect(again.body.error?.code).toBe('token:invalid_verification');
    const unknown = await app.call('POST', '/v1/auth/verify-email', { json: { token: 'nope' } });
    expect(unknown.body.error?.code).toBe('token:invalid_verification');
  });

  it('resend: a new link, and email:already_verified once verified', async () => {
    const user = await register(app.call);
    const { accessToken } = await login(app.call, user);
    const firstToken = await mailedToken(app, user.email, '/verify-email');
    const resend = await app.call('POST', '/v1/auth/verify-email/resend', { token: accessToken });
    expect(resend.status).toBe(200);
    await app.smtp.waitForMail((m) => m.to.includes(user.email) && !m.text.includes(firstToken));
    const secondToken = await mailedToken(app, user.email, '/verify-email');
    expect(secondToken).not.toBe(firstToken);
    // The resend retired the first link.
    expect((await app.call('POST', '/v1/auth/verify-email', { json: { token: firstToken } })).body.error?.code).toBe('token:invalid_verification');
    expect((await app.call('POST', '/v1/auth/verify-email', { json: { token: secondToken } })).status).toBe(200);
    const after = await app.call('POST', '/v1/auth/verify-email/resend', { token: accessToken });
    expect(after.status).toBe(400);
    expect(after.body.error?.code).toBe('email:already_verified');
  });

  it('resend without a token → 401 user:unauthorized', async () => {
    const res = await app.call('POST', '/v1/auth/verify-email/resend');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'user:unauthorized', type: 'UNAUTHORIZED', message: 'Authentication required' });
  });

  it('an unverified account signs in but is refused verified-only actions with 403 user:not_verified', async () => {
    const user = await register(app.call);
    const { accessToken } = await login(app.call, user);
    const refused = await app.call('POST', '/v1/__test/needs-verified', { token: accessToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'user:not_verified', type: 'FORBIDDEN', message: 'Email verification required' });
    const token = await mailedToken(app, user.email, '/verify-email');
    await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    expect((await app.call('POST', '/v1/__test/needs-verified', { token: accessToken })).status).toBe(200);
  });

  it('public profile by handle, and 404 user:not_found', async () => {
    const user = await register(app.call);
    const res = await app.call('GET', `/v1/users/${user.handle.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ handle: user.handle, displayName: null, bio: null, avatarUrl: null, createdAt: expect.any(String) });
    expect(res.text).not.toContain(user.email);
    const missing = await app.call('GET', '/v1/users/nobody_here_at_all');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('user:not_found');
  });
});

describe('verification token expiry and address mismatch', () => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ env: { VERIFICATION_TOKEN_TTL_SECONDS: '2' } });
  });
  afterAll(() => app.close());

  it('an expired token → 400 token:expired_verification', async () => {
    const user = await register(app.call);
    const token = await mailedToken(app, user.email, '/verify-email');
    await new Promise((r) => setTimeout(r, 2100));
    const res = await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('token:expired_verification');
  });

  it('a token for an address the account no longer has → 400 token:email_mismatch', async () => {
    const user = await register(app.call);
    const token = await mailedToken(app, user.email, '/verify-email');
    // The address changes through the e-mail change flow before the old link is used.
    const { accessToken } = await login(app.call, user);
    const newEmail = `changed.${user.email}`;
    expect((await app.call('POST', '/v1/me/email', { token: accessToken, json: { newEmail, password: user.password } })).status).toBe(200);
    const changeToken = await mailedToken(app, newEmail, '/confirm-email');
    expect((await app.call('POST', '/v1/me/email/confirm', { token: accessToken, json: { token: changeToken } })).status).toBe(200);
    const res = await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('token:email_mismatch');
  });
});
