import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import { whenReady } from '../lib/maybe-promise.ts';
import { hasScope, type ApiKeyActor, type ApiKeyScope } from '../modules/api-keys/scopes.ts';
import { currentUser } from './auth.ts';
import type { AppEnv } from './env.ts';
import { requestHeader } from './node-request.ts';

/** Checks a presented secret (see ApiKeysService.authenticate): a value when it can answer at once. */
export interface ApiKeyAuthenticator {
  authenticate(secret: string, clientIp: string): ApiKeyActor | Promise<ApiKeyActor>;
}

/** Whether a user may read a project (ProjectsService.requireMember): 404 project:not_found if not. */
export interface ProjectMembership {
  requireMember(userId: string, projectId: string): Promise<void>;
}

/**
 * The API key a request carries: `X-API-Key: bsk_…`, or `Authorization: Bearer bsk_…`
 * (access tokens in the Authorization header are `authenticate`'s, not ours).
 */
export function presentedApiKey(c: Context): string | undefined {
  const header = requestHeader(c, 'x-api-key')?.trim();
  if (header) return header;
  const auth = requestHeader(c, 'authorization');
  // Most requests carry no key at all, or an access token: done without the regex.
  if (!auth?.includes('bsk_')) return undefined;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  return token?.startsWith('bsk_') ? token : undefined;
}

/**
 * Resolves a presented API key to `c.var.apiKey` (and `c.var.apiKeyId`, which per-key rate
 * limits count by); undefined (no promise to await) when the request carries none. A bad one
 * is refused on every route: 401 `apikey:invalid`, or 403 `apikey:ip_not_allowed` outside the
 * key's allowlist.
 */
export function authenticateKey(c: Context<AppEnv>, keys: ApiKeyAuthenticator): Promise<void> | undefined {
  const secret = presentedApiKey(c);
  if (secret === undefined) return undefined;
  return whenReady(keys.authenticate(secret, c.get('clientIp')), (actor) => {
    c.set('apiKey', actor);
    c.set('apiKeyId', actor.keyId);
  });
}

/** The calling key, or 401 `apikey:required` for a request without one. */
export function currentKey(c: Context<AppEnv>): ApiKeyActor {
  const key = c.get('apiKey');
  if (!key) throw new AppError('apikey:required');
  return key;
}

/**
 * A route only an API key with `scope` may call (e.g. `POST /v1/logs` with `logs:write`):
 * 401 `apikey:required` without a key, 403 `apikey:scope_insufficient` without the scope.
 * The route still checks that the key's project is the one it touches (`c.var.apiKey.projectId`).
 */
export function requireScope(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasScope(currentKey(c), scope)) throw new AppError('apikey:scope_insufficient');
    await next();
  };
}

/**
 * "A member, or a key of this project with `scope`", for routes under `/v1/projects/:id`
 * (e.g. `GET /v1/projects/:id/logs` with `logs:read`). A key of another project, or a
 * user who is not a member, gets 404 `project:not_found` (before any scope check, so
 * nothing about the project leaks); no credentials, 401 `user:unauthorized`.
 */
export function memberOrKey(projects: ProjectMembership, scope: ApiKeyScope, param = 'id'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const projectId = c.req.param(param);
    if (projectId === undefined) throw new AppError('project:not_found');
    const key = c.get('apiKey');
    if (key) {
      if (key.projectId !== projectId) throw new AppError('project:not_found');
      if (!hasScope(key, scope)) throw new AppError('apikey:scope_insufficient');
    } else {
      await projects.requireMember(currentUser(c).userId, projectId);
    }
    await next();
  };
}
