import type { Context, MiddlewareHandler } from 'hono';
import type { SessionsService } from '../modules/sessions/service.ts';
import { authenticateKey, type ApiKeyAuthenticator } from './api-key-auth.ts';
import { authenticateUser } from './auth.ts';
import type { AppEnv } from './env.ts';

/** Resolves a request's credentials; undefined (nothing to await) when they answered at once. */
export type CredentialsStep = (c: Context<AppEnv>) => Promise<void> | undefined;

/**
 * Who is calling `/v1`: an access token (`c.var.actor`) and/or an API key (`c.var.apiKey`),
 * each optional, each refused on every route when presented and bad. A request without
 * credentials, or with cached ones, awaits nothing.
 */
export function credentialsStep(sessions: SessionsService, keys: ApiKeyAuthenticator): CredentialsStep {
  return (c) => {
    const user = authenticateUser(c, sessions);
    if (user !== undefined) return user.then(() => authenticateKey(c, keys));
    return authenticateKey(c, keys);
  };
}

/**
 * The step as a layer of its own, for when something must run between the request context and
 * authentication (an IP rate limit); otherwise the request context runs it (create-app.ts).
 */
export function credentials(step: CredentialsStep): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const pending = step(c);
    if (pending !== undefined) await pending;
    await next();
  };
}
