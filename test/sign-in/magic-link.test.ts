import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/crypto.ts';
import { identity, mailedToken, register, stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { codeFor, enableTotp, freshStep, sleep } from './helpers.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe.each(stacks())('magic link ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it('request → 200; the mailed /magic-link token signs in, verifies the e-mail and works once (then 401 token:invalid_magic_link)', async () => {
    const user = await register(app.call);
    const req = await app.call('POST', '/v1/auth/magic-link', { json: { email: user.email.toUpperCase() } });
    expect(req.status).toBe(200);
    const token = await mailedToken(app, user.email, '/magic-link');
    // Hashed at rest: the table holds the SHA-256, never the token.
    const row = await app.container.sql.db.selectFrom('email_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ purpose: 'magic_link', user_id: user.id });
    expect(row.expires_at - row.created_at).toBe(15 * 60 * 1000);
    const res = await app.call('POST', '/v1/auth/magic-link/verify', { json: { token } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ totpRequired: false, tokenType: 'Bearer', user: { id: user.id, emailVerified: true } });
    expect(res.headers.get('set-cookie')).toContain('basalt_refresh=');
    expect((await app.call('GET', '/v1/me', { token: res.body.data.accessToken })).body.data.emailVerified).toBe(true);
    const again = await app.call('POST', '/v1/auth/magic-link/verify', { json: { token } });
    expect(again.status).toBe(401);
    expect(again.body.error).toMatchObject({ code: 'token:invalid_magic_link', type: 'AUTH_FAILED', message: 'Invalid or expired magic link' });
  });

  it('an unknown address gets the same 200 body and no mail (no account is created)', async () => {
    const known = await register(app.call);
    const stranger = identity('stranger');
    const a = await app.call('POST', '/v1/auth/magic-link', { json: { email: stranger.email } });
    const b = await app.call('POST', '/v1/auth/magic-link', { json: { email: known.email } });
    expect(a.status).toBe(200);
    expect(a.body.data).toEqual(b.body.data);
    // The known address's mail arrives; by then the unknown one's would have too.
    await mailedToken(app, known.email, '/magic-link');
    await sleep(200);
    expect(app.smtp.messages.some((m) => m.to.includes(stranger.email))).toBe(false);
    expect(await app.services.users.findByEmail(stranger.email)).toBeUndefined();
  });

  it('known and unknown addresses answer in comparable time (the mail is sent after the reply)', async () => {
    const known = await register(app.call);
    const timings = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 8; i++) {
      for (const [kind, email] of [['known', known.email], ['unknown', identity('nobody').email]] as const) {
        const t0 = performance.now();
        expect((await app.call('POST', '/v1/auth/magic-link', { json: { email } })).status).toBe(200);
        timings[kind].push(performance.now() - t0);
      }
    }
    // Both are one indexed lookup; an SMTP round trip in the request would be many times that.
    expect(median(timings.known)).toBeLessThan(median(timings.unknown) * 3 + 15);
  });

  it('a new link retires the older one; of concurrent verifies of one link exactly one signs in', async () => {
    const user = await register(app.call);
    await app.call('POST', '/v1/auth/magic-link', { json: { email: user.email } });
    const first = await mailedToken(app, user.email, '/magic-link');
    const before = app.smtp.messages.length;
    await app.call('POST', '/v1/auth/magic-link', { json: { email: user.email } });
    await app.smtp.waitForMail((m) => app.smtp.messages.indexOf(m) >= before && m.to.includes(user.email));
    const second = await mailedToken(app, user.email, '/magic-link');
    expect(second).not.toBe(first);
    expect((await app.call('POST', '/v1/auth/magic-link/verify', { json: { token: first } })).body.error?.code).toBe('token:invalid_magic_link');
    const results = await Promise.all(Array.from({ length: 5 }, () => app.call('POST', '/v1/auth/magic-link/verify', { json: { token: second } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body.error?.code === 'token:invalid_magic_link')).toHaveLength(4);
  });

  it('with 2FA on, the link is the first factor only: {totpRequired, tempToken}, then the TOTP step', async () => {
    await freshStep();
    const user = await register(app.call);
    const { secret } = await enableTotp(app.call, user);
    await app.call('POST', '/v1/auth/magic-link', { json: { email: user.email } });
    const token = await mailedToken(app, user.email, '/magic-link');
    const res = await app.call('POST', '/v1/auth/magic-link/verify', { json: { token } });
    expect(res.body.data).toEqual({ totpRequired: true, tempToken: expect.any(String), expiresIn: 300 });
    const step = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: res.body.data.tempToken, code: codeFor(secret) } });
    expect(step.status).toBe(200);
  });

  it('a malformed address → 400 general:validation_error naming the field', async () => {
    const res = await app.call('POST', '/v1/auth/magic-link', { json: { email: 'not-an-email' } });
    expect(res.status).toBe(400);
    expect(res.body.error?.details?.[0]?.field).toBe('email');
  });
});

describe('magic link expiry and guards', () => {
  it('a link past its 15 minutes (here: 1 s) → 401 token:expired_magic_link', async () => {
    const app = await startAccountsApp({ env: { MAGIC_LINK_TTL_SECONDS: '1' } });
    try {
      const user = await register(app.call);
      await app.call('POST', '/v1/auth/magic-link', { json: { email: user.email } });
      const token = await mailedToken(app, user.email, '/magic-link');
      await sleep(1100);
      const res = await app.call('POST', '/v1/auth/magic-link/verify', { json: { token } });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'token:expired_magic_link', type: 'AUTH_FAILED', message: 'Invalid or expired magic link' });
    } finally {
      await app.close();
    }
  });

  it('requests are rate-limited per address (magic_link:email) and need a Turnstile token when Turnstile is on', async () => {
    const app = await startAccountsApp({ env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAGIC_LINK_EMAIL: '2/1h', TURNSTILE_SECRET: 'test-secret' } });
    try {
      const missing = await app.call('POST', '/v1/auth/magic-link', { json: { email: 'someone@example.test' } });
      expect(missing.status).toBe(400);
      expect(missing.body.error?.code).toBe('turnstile:token_missing');
      const limited = await app.call('POST', '/v1/auth/magic-link', { json: { email: 'someone@example.test' } });
      const third = await app.call('POST', '/v1/auth/magic-link', { json: { email: 'someone@example.test' } });
      expect([limited.status, third.status]).toContain(429);
      expect(third.body.error?.code).toBe('rate_limit:exceeded');
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await app.close();
    }
  });
});
