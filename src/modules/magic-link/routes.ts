import { createRoute, z } from '@hono/zod-openapi';
import { ok } from '../../http/envelope.ts';
import type { Guards } from '../../http/guards.ts';
import { jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { EmailSchema, TokenSchema } from '../accounts/schemas.ts';
import { clientInfo, LoginResultSchema, setRefreshCookie, TotpChallengeSchema, type CookieOptions } from '../sessions/routes.ts';
import type { SessionsService } from '../sessions/service.ts';
import type { MagicLinkService } from './service.ts';

const tags = ['magic-link'];
const REQUEST_MESSAGE = 'If an account exists for this address, a sign-in link is on its way.';

export function magicLinkRoutes(deps: { magicLink: MagicLinkService; sessions: SessionsService; guards: Guards; cookie: CookieOptions }) {
  const { magicLink, sessions, guards, cookie } = deps;
  const app = createRouter();

  app.use('/v1/auth/magic-link', ...guards.enabled('magic_link:email', 'turnstile'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/magic-link',
      tags,
      summary: 'Mail a sign-in link (always 200: reveals nothing about the address)',
      request: { body: jsonBody(z.object({ email: EmailSchema, turnstileToken: z.string().optional() })) },
      responses: okResponses(z.object({ message: z.string() }), 400),
    }),
    async (c) => {
      await magicLink.request(c.req.valid('json').email);
      return ok(c, { message: REQUEST_MESSAGE });
    },
  );

  app.use('/v1/auth/magic-link/verify', ...guards.enabled('login:ip'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/magic-link/verify',
      tags,
      summary: 'Sign in with the mailed token (with 2FA on: a temporary token for /v1/auth/login/totp)',
      request: { body: jsonBody(z.object({ token: TokenSchema })) },
      responses: okResponses(z.union([LoginResultSchema, TotpChallengeSchema]), 400, 401, 403),
    }),
    async (c) => {
      const step = await magicLink.verify(c.req.valid('json').token);
      if (step.kind === 'totp') return ok(c, { totpRequired: true as const, tempToken: step.tempToken, expiresIn: step.expiresIn });
      const result = await sessions.startSession(step.user, clientInfo(c));
      setRefreshCookie(c, result.tokens, cookie);
      return ok(c, { user: result.user, sessionId: result.sessionId, totpRequired: false as const, ...result.tokens });
    },
  );
  return app;
}
