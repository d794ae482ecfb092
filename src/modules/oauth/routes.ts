import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AppError } from '../../errors/index.ts';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { AppEnv } from '../../http/env.ts';
import type { Guards } from '../../http/guards.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { HandleSchema } from '../accounts/schemas.ts';
import { clientInfo, LoginResultSchema, setRefreshCookie, TotpChallengeSchema, type CookieOptions } from '../sessions/routes.ts';
import type { SessionsService } from '../sessions/service.ts';
import type { CallbackOutcome, OAuthService } from './service.ts';

const tags = ['oauth'];
/** Binds a flow to the browser that started it; read back by the callback only. */
export const OAUTH_COOKIE = 'basalt_oauth';
const COOKIE_PATH = '/v1/auth/oauth';

const ProviderParam = z.object({ provider: z.string().min(1).max(40).openapi({ example: 'github' }) });
const ConnectionSchema = z
  .object({ provider: z.string(), email: z.string().nullable(), username: z.string().nullable(), createdAt: z.string(), lastUsedAt: z.string().nullable() })
  .openapi('OAuthConnection');
const SignupRequiredSchema = z
  .object({
    handleRequired: z.literal(true),
    pendingToken: z.string().openapi({ description: 'For POST /v1/auth/oauth/complete; single use, 10 minutes' }),
    expiresIn: z.number().int(),
    provider: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    suggestedHandle: z.string(),
  })
  .openapi('OAuthSignupRequired');
const LinkedSchema = z.object({ linked: z.literal(true), connection: ConnectionSchema }).openapi('OAuthLinked');

export function oauthRoutes(deps: { oauth: OAuthService; sessions: SessionsService; guards: Guards; cookie: CookieOptions; stateTtlSeconds: number }) {
  const { oauth, sessions, guards, cookie } = deps;
  const app = createRouter();

  /** Signs the user in (session + refresh cookie) and answers what the flow's outcome says. */
  async function settle(c: Context<AppEnv>, outcome: Exclude<CallbackOutcome, { kind: 'error' }>) {
    if (outcome.kind === 'user') {
      const result = await sessions.startSession(outcome.user, clientInfo(c));
      setRefreshCookie(c, result.tokens, cookie);
      return { user: result.user, sessionId: result.sessionId, totpRequired: false as const, ...result.tokens };
    }
    if (outcome.kind === 'totp') return { totpRequired: true as const, tempToken: outcome.tempToken, expiresIn: outcome.expiresIn };
    if (outcome.kind === 'signup') {
      const { kind: _kind, ...rest } = outcome;
      return { handleRequired: true as const, ...rest };
    }
    return { linked: true as const, connection: outcome.connection };
  }

  /** The browser goes back to the app; results ride in the fragment (never sent to servers or in Referer). */
  async function redirectBack(c: Context<AppEnv>, redirectUri: string, outcome: CallbackOutcome) {
    const params = new URLSearchParams();
    if (outcome.kind === 'error') {
      params.set('oauth', 'error');
      params.set('error', outcome.error.code);
      params.set('request_id', c.get('requestId') ?? '');
    } else if (outcome.kind === 'linked') {
      params.set('oauth', 'linked');
      params.set('provider', outcome.connection.provider);
    } else if (outcome.kind === 'signup') {
      params.set('oauth', 'handle_required');
      params.set('pending_token', outcome.pendingToken);
      params.set('suggested_handle', outcome.suggestedHandle);
      params.set('email', outcome.email);
    } else if (outcome.kind === 'totp') {
      params.set('oauth', 'totp_required');
      params.set('temp_token', outcome.tempToken);
    } else {
      // The refresh cookie is set on this response; the app trades it for an access token at /v1/auth/refresh.
      try {
        await settle(c, outcome);
        params.set('oauth', 'signed_in');
      } catch (err) {
        // A banned account: the app hears it like any other failure of the flow.
        if (!(err instanceof AppError)) throw err;
        params.set('oauth', 'error');
        params.set('error', err.code);
        params.set('request_id', c.get('requestId') ?? '');
      }
    }
    const target = new URL(redirectUri);
    target.hash = params.toString();
    return c.redirect(target.href, 302);
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/auth/oauth/{provider}',
      tags,
      summary: 'Start OAuth sign-in (or, signed in with mode=link, link a provider): redirects to the provider with state + PKCE',
      security: [{}, ...bearerAuth],
      request: {
        params: ProviderParam,
        query: z.object({
          redirect_uri: z.string().max(2048).optional().openapi({ description: 'Where to send the browser afterwards; must match OAUTH_REDIRECT_ALLOWLIST. Without it the callback answers JSON.' }),
          mode: z.enum(['signin', 'link']).default('signin'),
          response: z.enum(['redirect', 'json']).default('redirect').openapi({ description: '`json`: answer {authorizationUrl} instead of a 302 (for fetch-based clients)' }),
        }),
      },
      responses: {
        ...okResponses(z.object({ authorizationUrl: z.string(), expiresIn: z.number().int() }), 400, 401),
        302: { description: 'To the provider' },
      },
    }),
    async (c) => {
      const { provider } = c.req.valid('param');
      const query = c.req.valid('query');
      const linkUserId = query.mode === 'link' ? currentUser(c).userId : undefined;
      const started = await oauth.begin(provider, { redirectUri: query.redirect_uri, linkUserId });
      setCookie(c, OAUTH_COOKIE, started.binding, { httpOnly: true, secure: cookie.secure, sameSite: 'Lax', path: COOKIE_PATH, maxAge: deps.stateTtlSeconds });
      if (query.response === 'json') return ok(c, { authorizationUrl: started.authorizationUrl, expiresIn: started.expiresIn });
      return c.redirect(started.authorizationUrl, 302);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/auth/oauth/{provider}/callback',
      tags,
      summary: 'Where the provider sends the browser back: signs in, starts a sign-up (handle needed) or links',
      request: {
        params: ProviderParam,
        query: z.object({ code: z.string().max(4096), state: z.string().max(512), error: z.string().max(256), error_description: z.string().max(1024), iss: z.string().max(2048) }).partial(),
      },
      responses: {
        ...okResponses(z.union([LoginResultSchema, TotpChallengeSchema, SignupRequiredSchema, LinkedSchema]), 400, 401, 403, 409),
        302: { description: 'Back to the redirect_uri the flow started with; the result is in the URL fragment' },
      },
    }),
    async (c) => {
      const binding = getCookie(c, OAUTH_COOKIE);
      deleteCookie(c, OAUTH_COOKIE, { path: COOKIE_PATH });
      const { redirectUri, outcome } = await oauth.callback(c.req.valid('param').provider, c.req.query(), binding);
      if (redirectUri) return redirectBack(c, redirectUri, outcome);
      if (outcome.kind === 'error') throw outcome.error;
      return ok(c, await settle(c, outcome));
    },
  );

  // POST only: an all-methods middleware on this path, beside GET /v1/auth/oauth/:provider,
  // would keep Hono off its fastest router (RegExpRouter) for the whole app.
  for (const guard of guards.enabled('register:ip')) app.on('POST', '/v1/auth/oauth/complete', guard);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/oauth/complete',
      tags,
      summary: 'Finish a first OAuth sign-up with a handle: creates the account and signs in',
      request: { body: jsonBody(z.object({ pendingToken: z.string().min(1).max(512), handle: HandleSchema.optional() })) },
      responses: okResponses(LoginResultSchema, 400, 409),
    }),
    async (c) => {
      const { pendingToken, handle } = c.req.valid('json');
      const user = await oauth.complete(pendingToken, handle);
      const result = await sessions.startSession(user, clientInfo(c));
      setRefreshCookie(c, result.tokens, cookie);
      return ok(c, { user: result.user, sessionId: result.sessionId, totpRequired: false as const, ...result.tokens });
    },
  );

  app.use('/v1/me/connections', requireUser);
  app.use('/v1/me/connections/*', requireUser);
  app.openapi(
    createRoute({ method: 'get', path: '/v1/me/connections', tags, summary: 'My linked OAuth accounts', security: bearerAuth, responses: okResponses(z.array(ConnectionSchema), 401) }),
    async (c) => ok(c, await oauth.connections(currentUser(c).userId)),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/me/connections/{provider}',
      tags,
      summary: 'Unlink a provider (never the last way to sign in)',
      security: bearerAuth,
      request: { params: ProviderParam },
      responses: okResponses(z.object({ unlinked: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      await oauth.unlink(currentUser(c).userId, c.req.valid('param').provider);
      return ok(c, { unlinked: true as const });
    },
  );
  return app;
}
