import type { Logger } from '../lib/logger.ts';
import type { RateLimitDecision } from '../ports/rate-limiter.ts';
import type { AuthenticatedUser } from '../modules/sessions/service.ts';
import type { ApiKeyActor } from '../modules/api-keys/scopes.ts';

/** Variables every request carries through the middleware chain. */
export interface AppVariables {
  requestId: string;
  /** The process logger; handlers log through `requestLog(c)` (request-id.ts), bound to the request id. */
  baseLog?: Logger;
  /** Made by `requestLog` on first use. */
  log?: Logger;
  /** The caller's address, canonical (see client-ip.ts); set for every request. */
  clientIp: string;
  /** Set by authentication middleware once a user is known; per-user rate limits key on it. */
  userId?: string;
  /** The signed-in user and their session, set by `authenticate` when an access token is valid. */
  actor?: AuthenticatedUser;
  /** Set by API-key authentication; per-key rate limits key on it. */
  apiKeyId?: string;
  /** The verified API key (project, scopes), set by `apiKeyAuth` (api-key-auth.ts). */
  apiKey?: ApiKeyActor;
  /** The most restrictive rate-limit decision so far (see rate-limit.ts). */
  rateLimit?: RateLimitDecision;
}

export interface AppEnv {
  Variables: AppVariables;
}
