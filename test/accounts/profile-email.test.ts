import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, mailedToken, passwordlessAccount, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

describe.each(stacks())('profile, e-mail change, deletion ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it('PATCH /v1/me updates display name, bio and avatar; the public profile shows them', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await app.call('PATCH', '/v1/me', { token: s.accessToken, json: { displayName: 'Ada L.', bio: 'Counts things.', avatarUrl: 'https://img.example.com/ada.png' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ displayName: 'Ada L.', bio: 'Counts things.', avatarUrl: 'https://img.example.com/ada.png' });
    const pub = await app.call('GET', `/v1/users/${user.handle}`);
    expect(pub.body.data).toMatchObject({ displayName: 'Ada L.', bio: 'Counts things.' });
  });

  it.each([
    ['a non-https avatar', { avatarUrl: 'http://img.example.com/a.png' }, 'avatarUrl'],
    ['an unknown field', { role: 'admin' }, '(body)'],
  ])('PATCH /v1/me refuses %s', async (_n, body, field) => {
    const s = await login(app.call, await register(app.call));
    const res = await app.call('PATCH', '/v1/me', { token: s.accessToken, json: body });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('general:validation_error');
    expect(JSON.stringify(res.body.error?.details)).toContain(field === '(body)' ? 'role' : field);
  });

  it('e-mail change: re-authenticate, confirm from the new address, notice to the old one', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const newEmail = `new.${user.email}`;
    const wrong = await app.call('POST', '/v1/me/email', { token: s.accessToken, json: { newEmail, password: 'not-my-password' } });
    expect(wrong.body.error?.code).toBe('password:incorrect');
    const req = await app.call('POST', '/v1/me/email', { token: s.accessToken, json: { newEmail, password: user.password } });
    expect(req.status).toBe(200);
    const token = await mailedToken(app, newEmail, '/confirm-email');
    const bad = await app.call('POST', '/v1/me/email/confirm', { token: s.accessToken, json: { token: 'not-a-token' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('token:invalid_email_change');
    const ok = await app.call('POST', '/v1/me/email/confirm', { token: s.accessToken, json: { token } });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ email: newEmail, emailVerified: true });
    const notice = await app.smtp.waitForMail((m) => m.to.includes(user.email) && m.text.includes(newEmail) && !m.text.includes('/verify-email'));
    expect(notice.text).toContain(newEmail);
    expect((await app.call('POST', '/v1/me/email/confirm', { token: s.accessToken, json: { token } })).body.error?.code).toBe('token:invalid_email_change');
  });

  it('e-mail change refuses an address in use (409) and a link retired by a newer request', async () => {
    const other = await register(app.call);
    const user = await register(app.call);
    const s = await login(app.call, user);
    const taken = await app.call('POST', '/v1/me/email', { token: s.accessToken, json: { newEmail: other.email, password: user.password } });
    expect(taken.status).toBe(409);
    expect(taken.body.error?.code).toBe('user:email_already_exists');

    const first = `first.${user.email}`;
    const second = `second.${user.email}`;
    await app.call('POST', '/v1/me/email', { token: s.accessToken, json: { newEmail: first, password: user.password } });
    const firstToken = await mailedToken(app, first, '/confirm-email');
    // A newer request retires the older link.
    await app.call('POST', '/v1/me/email', { token: s.accessToken, json: { newEmail: second, password: user.password } });
    const token2 = await mailedToken(app, second, '/confirm-email');
    expect((await app.call('POST', '/v1/me/email/confirm', { token: s.accessToken, json: { token: token2 } })).status).toBe(200);
    const stale = await app.call('POST', '/v1/me/email/confirm', { token: s.accessToken, json: { token: firstToken } });
    expect(stale.status).toBe(400);
    expect(stale.body.error?.code).toBe('token:invalid_email_change');
  });

  it('DELETE /v1/me with the password removes the account and its sessions', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const wrong = await app.call('DELETE', '/v1/me', { token: s.accessToken, json: { password: 'wrong-password' } });
    expect(wrong.body.error?.code).toBe('password:incorrect');
    const res = await app.call('DELETE', '/v1/me', { token: s.accessToken, json: { password: user.password } });
    expect(res.status).toBe(200);
    expect((await app.call('GET', '/v1/me', { token: s.accessToken })).status).toBe(401);
    expect((await app.call('GET', `/v1/users/${user.handle}`)).status).toBe(404);
    const rows = await app.container.sql.db.selectFrom('email_tokens').select('user_id').where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(0);
    // The e-mail and handle are free again.
    expect((await app.call('POST', '/v1/auth/register', { json: { email: user.email, handle: user.handle, password: user.password } })).status).toBe(201);
  });

  it('DELETE /v1/me without a password needs a sign-in in the last 5 minutes', async () => {
    const stale = await passwordlessAccount(app);
    // Age the sign-in: the session was authenticated 6 minutes ago.
    const sid = JSON.parse(Buffer.from(stale.accessToken.split('.')[1] ?? '', 'base64url').toString()).sid as string;
    const record = JSON.parse((await app.container.kv.get(`sess:${sid}`)) ?? '{}');
    await app.container.kv.set(`sess:${sid}`, JSON.stringify({ ...record, authenticatedAt: Date.now() - 6 * 60_000 }));
    const refused = await app.call('DELETE', '/v1/me', { token: stale.accessToken });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('password:required_for_update');
    const fresh = await passwordlessAccount(app);
    expect((await app.call('DELETE', '/v1/me', { token: fresh.accessToken })).status).toBe(200);
  });
});
