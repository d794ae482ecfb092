import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/create-app.ts';
import { loadSigningKey } from '../../src/app/secrets.ts';
import { EmailTokens } from '../../src/modules/accounts/email-tokens.ts';
import { buildSignInMethods } from '../../src/modules/totp/sign-in-methods.ts';
import { apiClient } from '../helpers/http.ts';
import { login, register, stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { codeFor, enableTotp, freshStep, sleep, tempTokenFor } from './helpers.ts';

describe.each(stacks())('TOTP 2FA ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it('setup answers a base32 secret, its otpauth URI and a QR code as PNG data URL and SVG; the secret is encrypted at rest', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await app.call('POST', '/v1/me/totp/setup', { token: s.accessToken });
    expect(res.status).toBe(200);
    const { secret, otpauthUri, qrCode } = res.body.data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(otpauthUri).toContain(`otpauth://totp/Basalt:${encodeURIComponent(user.email)}`);
    expect(qrCode.pngDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(qrCode.pngDataUrl.split(',')[1], 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(qrCode.svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const row = await app.container.sql.db.selectFrom('totp_secrets').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.enabled_at).toBeNull();
    expect(row.secret_ciphertext).not.toContain(secret);
    expect(row.secret_ciphertext).toMatch(/^v1\./);
    // Not on yet: login still signs straight in.
    expect((await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } })).body.data.totpRequired).toBe(false);
  });

  it('enable: no setup or a wrong code → 400 totp:invalid_code; a valid code → 10 backup codes (hashed at rest); again → 409 totp:already_enabled', async () => {
    await freshStep();
    const user = await register(app.call);
    const s = await login(app.call, user);
    const early = await app.call('POST', '/v1/me/totp/enable', { token: s.accessToken, json: { code: '123456' } });
    expect(early.status).toBe(400);
    expect(early.body.error?.code).toBe('totp:invalid_code');
    const { secret } = (await app.call('POST', '/v1/me/totp/setup', { token: s.accessToken })).body.data;
    const wrong = await app.call('POST', '/v1/me/totp/enable', { token: s.accessToken, json: { code: codeFor(secret, 3) } });
    expect(wrong.body.error?.code).toBe('totp:invalid_code');
    const res = await app.call('POST', '/v1/me/totp/enable', { token: s.accessToken, json: { code: codeFor(secret) } });
    expect(res.status).toBe(200);
    const codes: string[] = res.body.data.backupCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    const stored = await app.container.sql.db.selectFrom('totp_backup_codes').select('code_hash').where('user_id', '=', user.id).execute();
    expect(stored).toHaveLength(10);
    for (const { code_hash } of stored) {
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes.some((c) => c.replace('-', '') === code_hash)).toBe(false);
    }
    for (const path of ['/v1/me/totp/enable', '/v1/me/totp/setup']) {
      const again = await app.call('POST', path, { token: s.accessToken, json: { code: codeFor(secret) } });
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe('totp:already_enabled');
    }
    expect((await app.call('GET', '/v1/me/totp', { token: s.accessToken })).body.data).toEqual({ enabled: true, backupCodesLeft: 10 });
  });

  it('login with 2FA on → {totpRequired, tempToken} and no session; the TOTP step signs in; the temporary token then dies', async () => {
    await freshStep();
    const user = await register(app.call);
    const { secret } = await enableTotp(app.call, user);
    const res = await app.call('POST', '/v1/auth/login', { json: { login: user.email, password: user.password } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ totpRequired: true, tempToken: expect.any(String), expiresIn: 300 });
    expect(res.headers.get('set-cookie')).toBeNull();
    const tempToken = res.body.data.tempToken;
    const step = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret) } });
    expect(step.status).toBe(200);
    expect(step.body.data).toMatchObject({ totpRequired: false, tokenType: 'Bearer', user: { id: user.id } });
    expect(step.headers.get('set-cookie')).toContain('basalt_refresh=');
    expect((await app.call('GET', '/v1/me', { token: step.body.data.accessToken })).status).toBe(200);
    const reuse = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret, 1) } });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error?.code).toBe('totp:temp_token_invalid');
    const unknown = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: 'not-a-token', code: '123456' } });
    expect(unknown.body.error?.code).toBe('totp:temp_token_invalid');
  });

  it('a wrong code → 400 totp:invalid_code and the same temporary token still works; a used code is refused (replay); ±1 step of skew', async () => {
    await freshStep();
    const user = await register(app.call);
    const { secret } = await enableTotp(app.call, user);
    const tempToken = await tempTokenFor(app.call, user);
    const wrong = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret, 2) } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.code).toBe('totp:invalid_code');
    // The enable step used the previous step's code: replaying it is refused.
    const replay = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret, -1) } });
    expect(replay.body.error?.code).toBe('totp:invalid_code');
    const ahead = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret, 1) } });
    expect(ahead.status).toBe(200);
    // After the next step's code, this step's code is older: refused too.
    const older = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code: codeFor(secret) } });
    expect(older.body.error?.code).toBe('totp:invalid_code');
  });

  it('of concurrent second steps with one temporary token, exactly one signs in', async () => {
    await freshStep();
    const user = await register(app.call);
    const { backupCodes } = await enableTotp(app.call, user);
    const tempToken = await tempTokenFor(app.call, user);
    const results = await Promise.all(backupCodes.slice(0, 6).map((code) => app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.error?.code).toBe('totp:temp_token_invalid');
  });

  it('a backup code works once; when all are used → 401 totp:backup_code_exhausted', async () => {
    const user = await register(app.call);
    const { backupCodes } = await enableTotp(app.call, user);
    const first = backupCodes[0] as string;
    expect((await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code: first.toUpperCase() } })).status).toBe(200);
    const again = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code: first } });
    expect(again.status).toBe(400);
    expect(again.body.error?.code).toBe('totp:invalid_code');
    for (const code of backupCodes.slice(1)) {
      const r = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code } });
      expect(r.status).toBe(200);
    }
    const exhausted = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code: 'aaaaa-bbbbb' } });
    expect(exhausted.status).toBe(401);
    expect(exhausted.body.error).toMatchObject({ code: 'totp:backup_code_exhausted', type: 'AUTH_FAILED', message: 'All backup codes used' });
  });

  it('regenerate and disable need 2FA on (400 totp:not_enabled) and a valid code; new backup codes retire the old ones; disable restores plain login', async () => {
    await freshStep();
    const user = await register(app.call);
    const s = await login(app.call, user);
    for (const path of ['/v1/me/totp/disable', '/v1/me/totp/backup-codes']) {
      const r = await app.call('POST', path, { token: s.accessToken, json: { code: '123456' } });
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe('totp:not_enabled');
    }
    const { secret, backupCodes, accessToken } = await enableTotp(app.call, user);
    const bad = await app.call('POST', '/v1/me/totp/backup-codes', { token: accessToken, json: { code: codeFor(secret, 4) } });
    expect(bad.body.error?.code).toBe('totp:invalid_code');
    const regen = await app.call('POST', '/v1/me/totp/backup-codes', { token: accessToken, json: { code: codeFor(secret) } });
    expect(regen.status).toBe(200);
    const fresh: string[] = regen.body.data.backupCodes;
    expect(fresh).toHaveLength(10);
    const old = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: await tempTokenFor(app.call, user), code: backupCodes[0] } });
    expect(old.body.error?.code).toBe('totp:invalid_code');
    const off = await app.call('POST', '/v1/me/totp/disable', { token: accessToken, json: { code: fresh[0] } });
    expect(off.status).toBe(200);
    const plain = await app.call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
    expect(plain.body.data.totpRequired).toBe(false);
    expect(await app.container.sql.db.selectFrom('totp_backup_codes').select('code_hash').where('user_id', '=', user.id).execute()).toEqual([]);
  });
});

describe('TOTP temporary token expiry', () => {
  it('a temporary token past its lifetime → 400 totp:temp_token_expired', async () => {
    const app = await startAccountsApp({ env: { TOTP_TEMP_TOKEN_TTL_SECONDS: '1' } });
    try {
      await freshStep();
      const user = await register(app.call);
      const { secret } = await enableTotp(app.call, user);
      const tempToken = await tempTokenFor(app.call, user);
      await sleep(1200);
      const res = await app.call('POST', '/v1/auth/login/totp', { json: { tempToken, code: codeFor(secret) } });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('totp:temp_token_expired');
    } finally {
      await app.close();
    }
  });
});

describe('TOTP setup with failing generators (injected through the app services)', () => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp();
  });
  afterAll(() => app.close());

  function appWith(seams: { secretSource?: () => Uint8Array; qr?: { pngDataUrl(t: string): Promise<string>; svg(t: string): Promise<string> } }) {
    const { container, services } = app;
    const methods = buildSignInMethods({
      config: container.config,
      db: container.sql.db,
      rowLocks: container.sql.capabilities.rowLocks,
      kv: container.kv,
      users: services.users,
      tokens: new EmailTokens(container.sql.db),
      mailer: container.mailer,
      logger: container.logger,
      signingKey: loadSigningKey(container.config),
      ...seams,
    });
    const failing = createApp(container, { services: { ...services, totp: methods.totp } });
    return apiClient((req) => failing.fetch(req));
  }

  it('the random source fails → 500 totp:secret_generation_failed, and nothing is stored', async () => {
    const call = appWith({
      secretSource: () => {
        throw new Error('entropy source unavailable');
      },
    });
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await call('POST', '/v1/me/totp/setup', { token: s.accessToken });
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'totp:secret_generation_failed', type: 'INTERNAL_ERROR', message: 'Failed to generate TOTP secret' });
    expect(await app.container.sql.db.selectFrom('totp_secrets').select('user_id').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('QR rendering fails → 500 totp:qr_generation_failed', async () => {
    const call = appWith({
      qr: {
        pngDataUrl: async () => {
          throw new Error('renderer crashed');
        },
        svg: async () => '<svg/>',
      },
    });
    const user = await register(app.call);
    const s = await login(app.call, user);
    const res = await call('POST', '/v1/me/totp/setup', { token: s.accessToken });
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'totp:qr_generation_failed', type: 'INTERNAL_ERROR' });
  });
});
