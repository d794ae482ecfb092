import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { AppEnv } from '../../http/env.ts';
import type { Guards } from '../../http/guards.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { UserSchema } from '../accounts/schemas.ts';
import type { SessionsService, TokenPair } from './service.ts';

const tags = ['sessions'];
export const REFRESH_COOKIE = 'basalt_refresh';

export const TokenPairSchema = z
  .object({ accessToken: z.string(), refreshToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int() })
  .openapi('TokenPair');

export const LoginResultSchema = z
  .object({ user: UserSchema, sessionId: z.string(), totpRequired: z.literal(false) })
  .extend(TokenPairSchema.shape)
  .openapi('LoginResult');

/** Login with 2FA on: no session yet, a temporary token for POST /v1/auth/login/totp. */
export const TotpChallengeSchema = z
  .object({ totpRequired: z.literal(true), tempToken: z.string(), expiresIn: z.number().int().openapi({ description: 'Seconds the temporary token lives' }) })
  .openapi('TotpChallenge');

const SessionSchema = z
  .object({ id: z.string(), current: z.boolean(), createdAt: z.string(), lastSeenAt: z.string(), ip: z.string().nullable(), userAgent: z.string().nullable() })
  .openapi('Session');

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds: number;
}

/** Browsers get the refresh token as an httpOnly cookie scoped to the auth routes. */
export function setRefreshCookie(c: Context<AppEnv>, tokens: TokenPair, options: CookieOptions): void {
  setCookie(c, REFRESH_COOKIE, tokens.refreshToken, { httpOnly: true, secure: options.secure, sameSite: 'Lax', path: '/v1/auth', maxAge: options.maxAgeSeconds });
}

export function clientInfo(c: Context<AppEnv>) {
  return { ip: c.get('clientIp') ?? null, userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null };
}

export function sessionsRoutes(deps: { sessions: SessionsService; guards: Guards; cookie: CookieOptions }) {
  const { sessions, guards, cookie } = deps;
  const app = createRouter();

  app.use('/v1/auth/login', ...guards.enabled('login:ip', 'login:identifier', 'turnstile'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/login',
      tags,
      summary: 'Sign in with e-mail or handle and password (with 2FA on: a temporary token for /v1/auth/login/totp)',
      request: { body: jsonBody(z.object({ login: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024), turnstileToken: z.string().optional() })) },
      responses: okResponses(z.union([LoginResultSchema, TotpChallengeSchema]), 400, 401, 403),
    }),
    async (c) => {
      const { login, password } = c.req.valid('json');
      const outcome = await sessions.login(login, password, clientInfo(c));
      if (outcome.totpRequired) return ok(c, outcome);
      setRefreshCookie(c, outcome.tokens, cookie);
      return ok(c, { user: outcome.user, sessionId: outcome.sessionId, totpRequired: false as const, ...outcome.tokens });
    },
  );

  app.use('/v1/auth/refresh', ...guards.enabled('refresh:ip'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/refresh',
      tags,
      summary: 'Exchange a refresh token (body or cookie) for a new pair; the old one dies',
      request: { body: jsonBody(z.object({ refreshToken: z.string().max(512).optional() }), false) },
      responses: okResponses(TokenPairSchema, 400, 401),
    }),
    async (c) => {
      const body = c.req.valid('json') as { refreshToken?: string } | undefined;
      const fromBody = body?.refreshToken;
      const tokens = await sessions.refresh(fromBody ?? getCookie(c, REFRESH_COOKIE), fromBody === undefined);
      setRefreshCookie(c, tokens, cookie);
      return ok(c, tokens);
    },
  );

  app.use('/v1/auth/logout', requireUser);
  app.openapi(
    createRoute({ method: 'post', path: '/v1/auth/logout', tags, summary: 'End this session', security: bearerAuth, responses: okResponses(z.object({ loggedOut: z.literal(true) }), 401) }),
    async (c) => {
      await sessions.logout(currentUser(c));
      deleteCookie(c, REFRESH_COOKIE, { path: '/v1/auth' });
      return ok(c, { loggedOut: true as const });
    },
  );

  app.use('/v1/me/sessions', requireUser);
  app.use('/v1/me/sessions/*', requireUser);
  app.openapi(
    createRoute({ method: 'get', path: '/v1/me/sessions', tags, summary: 'My sessions, the current one marked', security: bearerAuth, responses: okResponses(z.array(SessionSchema), 401) }),
    async (c) => ok(c, await sessions.list(currentUser(c))),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/me/sessions/{id}',
      tags,
      summary: 'Revoke one of my sessions',
      security: bearerAuth,
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: okResponses(z.object({ revoked: z.literal(true) }), 401),
    }),
    async (c) => {
      await sessions.revoke(currentUser(c), c.req.valid('param').id);
      return ok(c, { revoked: true as const });
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/me/sessions', tags, summary: 'Revoke all my other sessions', security: bearerAuth, responses: okResponses(z.object({ revoked: z.number().int() }), 401) }),
    async (c) => ok(c, { revoked: await sessions.revokeOthers(currentUser(c)) }),
  );
  return app;
}
