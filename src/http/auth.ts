import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import { whenReady } from '../lib/maybe-promise.ts';
import type { AuthenticatedUser, SessionsService } from '../modules/sessions/service.ts';
import type { AppEnv } from './env.ts';
import { requestHeader } from './node-request.ts';

/** API keys (`bsk_…`) are handled by the key middleware; everything else must be an access token. */
const API_KEY_PREFIX = 'bsk_';

export function bearerToken(c: Context): string | undefined {
  const header = requestHeader(c, 'authorization');
  if (!header) return undefined;
  // The usual shape, without the regular expression (every authenticated request passes here).
  if (header.startsWith('Bearer ')) {
    const token = header.slice(7);
    if (token.length > 0 && !token.includes(' ') && !token.includes('\t')) return token;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError('user:invalid_token');
  return match[1];
}

/**
 * Resolves an access token to the signed-in user (`c.var.actor`); undefined (no promise to
 * await) when the request carries none. No token: the request goes on anonymous, and routes
 * that need a user refuse it with `requireUser`.
 */
export function authenticateUser(c: Context<AppEnv>, sessions: SessionsService): Promise<void> | undefined {
  const token = bearerToken(c);
  if (token === undefined || token.startsWith(API_KEY_PREFIX)) return undefined;
  return whenReady(sessions.authenticate(token), (actor) => {
    c.set('actor', actor);
    c.set('userId', actor.userId);
  });
}

/** The signed-in user, or 401 user:unauthorized ("Authentication required"). */
export function currentUser(c: Context<AppEnv>): AuthenticatedUser {
  const actor = c.get('actor');
  if (!actor) throw new AppError('user:unauthorized');
  return actor;
}

export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  currentUser(c);
  await next();
};
