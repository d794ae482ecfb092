import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer, type Container } from '../../src/app/container.ts';
import { createApp } from '../../src/app/create-app.ts';
import { buildServices } from '../../src/app/services.ts';
import { loadConfig } from '../../src/config/index.ts';
import { JwtCodec } from '../../src/lib/jwt.ts';
import { SessionsService } from '../../src/modules/sessions/service.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';
import { identity, register } from './harness.ts';

/** A signing key that fails: what a broken crypto provider or key store looks like to the service. */
class FailingJwtCodec extends JwtCodec {
  override sign(): string {
    throw new Error('signing key unavailable');
  }
}

describe('internal faults on the sign-in path', () => {
  const dir = tempDir();
  let container: Container;
  let call: ApiCall;
  beforeAll(async () => {
    container = await buildContainer(loadConfig({ DATA_DIR: dir.path, LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' }), { logger: pino({ level: 'silent' }) });
    const services = buildServices(container);
    const sessions = new SessionsService({
      users: services.users,
      store: services.sessionStore,
      jwt: new FailingJwtCodec('x'.repeat(32)),
      accessTtlSeconds: 900,
      idleTimeoutMs: 60_000,
      absoluteLifetimeMs: 120_000,
    });
    const app = createApp(container, { services: { ...services, sessions } });
    call = apiClient((req) => app.fetch(req));
  });
  afterAll(async () => {
    await container.close();
    dir.remove();
  });

  it('a token that cannot be signed → 500 system:token_creation_error, no internals shown', async () => {
    const user = await register(call);
    const res = await call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'system:token_creation_error', type: 'INTERNAL_ERROR' });
    expect(res.text).not.toContain('signing key unavailable');
  });

  it('a stored password hash that cannot be read → 500 system:hashing_error', async () => {
    const user = await register(call, identity('corrupt'));
    await container.sql.db.updateTable('users').set({ password_hash: 'not an argon2 hash' }).where('id', '=', user.id).execute();
    const res = await call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'system:hashing_error', type: 'INTERNAL_ERROR' });
  });
});
