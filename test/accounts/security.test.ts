import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSilentListener } from '../helpers/smtp.ts';
import { login, mailedToken, register, stacks, startAccountsApp, type AccountsApp } from './harness.ts';

describe.each(stacks())('single-use tokens under concurrency, secrets at rest ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it('N concurrent uses of one verification token: exactly one succeeds', async () => {
    const user = await register(app.call);
    const token = await mailedToken(app, user.email, '/verify-email');
    const results = await Promise.all(Array.from({ length: 12 }, () => app.call('POST', '/v1/auth/verify-email', { json: { token } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400).every((r) => r.body.error?.code === 'token:invalid_verification')).toBe(true);
  });

  it('N concurrent uses of one reset token: exactly one succeeds', async () => {
    const user = await register(app.call);
    await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const token = await mailedToken(app, user.email, '/reset-password');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => app.call('POST', '/v1/auth/reset-password', { json: { token, password: `Racing-passphrase-${i}` } })),
    );
    const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.error?.code === 'token:invalid_reset')).toBe(true);
    // The winner's password is the one that took.
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: `Racing-passphrase-${winners[0]}` } })).status).toBe(200);
  });

  it('no password, token or refresh token is stored in plain text', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const verifyToken = await mailedToken(app, user.email, '/verify-email');
    await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const resetToken = await mailedToken(app, user.email, '/reset-password');
    const refreshSecret = s.refreshToken.split('.')[1] ?? '';

    const users = await app.container.sql.db.selectFrom('users').selectAll().where('id', '=', user.id).execute();
    const tokens = await app.container.sql.db.selectFrom('email_tokens').selectAll().where('user_id', '=', user.id).execute();
    const sqlDump = JSON.stringify([users, tokens]);
    expect(users[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    for (const secret of [user.password, verifyToken, resetToken, refreshSecret, s.accessToken]) expect(sqlDump).not.toContain(secret);

    // The KV store: every value the session left behind.
    const kvValues: string[] = [];
    for (const key of [`sess:${s.sessionId}`, `sess:${s.sessionId}:refresh`]) kvValues.push((await app.container.kv.get(key)) ?? '');
    expect(kvValues.join('')).toContain(s.sessionId);
    for (const secret of [refreshSecret, user.password, s.accessToken]) expect(kvValues.join('')).not.toContain(secret);
    // And the whole SQLite KV file, when that is the store.
    if (app.container.kv.backend === 'sqlite') {
      const raw = ['kv.db', 'kv.db-wal']
        .map((f) => join(app.dataDir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('');
      expect(raw).toContain(s.sessionId);
      expect(raw).not.toContain(refreshSecret);
    }
  });
});

describe('mail delivery failures', () => {
  let app: AccountsApp;
  let adminToken: string;
  beforeAll(async () => {
    app = await startAccountsApp();
    const admin = await register(app.call);
    await app.services.users.update(admin.id, { role: 'admin' });
    adminToken = (await login(app.call, admin)).accessToken;
    app.smtp.mode = 'refuse-rcpt';
  });
  afterAll(() => app.close());

  it('register still creates the account and says the mail did not go', async () => {
    const res = await app.call('POST', '/v1/auth/register', { json: { email: 'refused.one@example.test', handle: 'refused_one', password: 'A-good-passphrase-1' } });
    expect(res.status).toBe(201);
    expect(res.body.data.verificationEmailSent).toBe(false);
  });

  it('resend reports 502 worker:verification_email_send_failed', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await app.call('POST', '/v1/auth/verify-email/resend', { token: s.accessToken });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'worker:verification_email_send_failed', type: 'SERVICE_UNAVAILABLE' });
  });

  it('forgot-password still answers 200 with the same body (nothing revealed)', async () => {
    const user = await register(app.call);
    const known = await app.call('POST', '/v1/auth/forgot-password', { json: { email: user.email } });
    const unknown = await app.call('POST', '/v1/auth/forgot-password', { json: { email: 'nobody.at.all@example.test' } });
    expect(known.status).toBe(200);
    expect(known.body.data).toEqual(unknown.body.data);
  });

  it('an admin-sent reset link reports 502 worker:password_reset_email_send_failed', async () => {
    const user = await register(app.call);
    const res = await app.call('POST', `/v1/admin/users/${user.id}/password-reset`, { token: adminToken });
    expect(res.status).toBe(502);
    expect(res.body.error?.code).toBe('worker:password_reset_email_send_failed');
  });
});

describe('forgot-password takes the same time for a known address while the mail worker hangs', () => {
  it('known and unknown answer alike, long before the worker would time out', async () => {
    const silent = await startSilentListener();
    const app = await startAccountsApp({ env: { WORKER_URL: `http://127.0.0.1:${silent.port}`, WORKER_TIMEOUT_MS: '3000' } });
    try {
      const user = await register(app.call);
      const timed = async (email: string) => {
        const started = performance.now();
        const res = await app.call('POST', '/v1/auth/forgot-password', { json: { email } });
        return { res, ms: performance.now() - started };
      };
      const known = await timed(user.email);
      const unknown = await timed(`ghost.${user.email}`);
      expect(known.res.status).toBe(200);
      expect(known.res.body.data).toEqual(unknown.res.body.data);
      // Had the answer waited for the mail, the known address would take the worker's 3 s timeout.
      expect(known.ms).toBeLessThan(1000);
      expect(unknown.ms).toBeLessThan(1000);
    } finally {
      await app.close();
      await silent.close();
    }
  }, 20_000);
});
