import type { MiddlewareHandler } from 'hono';
import type { SessionsService } from '../modules/sessions/service.ts';
import { authenticateKey, type ApiKeyAuthenticator } from './api-key-auth.ts';
import { authenticateUser } from './auth.ts';
import type { AppEnv } from './env.ts';

/**
 * Who is calling `/v1`: an access token (`c.var.actor`) and/or an API key (`c.var.apiKey`),
 * each optional, each refused on every route when presented and bad. One middleware for
 * both because every layer of Hono's chain costs an await on every request
 * (bench/api-key.bench.ts); a request without credentials awaits nothing here.
 */
export function credentials(sessions: SessionsService, keys: ApiKeyAuthenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = authenticateUser(c, sessions);
    if (user !== undefined) await user;
    const key = authenticateKey(c, keys);
    if (key !== undefined) await key;
    await next();
  };
}
