import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { Guards } from '../../http/guards.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { EmailSchema, PasswordSchema, TokenSchema } from '../accounts/schemas.ts';
import type { PasswordsService } from './service.ts';

const tags = ['passwords'];
const FORGOT_MESSAGE = 'If an account exists for this address, a password reset link is on its way.';

export function passwordsRoutes(deps: { passwords: PasswordsService; guards: Guards }) {
  const { passwords, guards } = deps;
  const app = createRouter();

  app.use('/v1/me/password', requireUser);
  app.use('/v1/me/password/*', requireUser);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/password',
      tags,
      summary: 'Change the password (ends every other session)',
      security: bearerAuth,
      // Both fields optional in the schema so their absence gets its own code.
      request: { body: jsonBody(z.object({ currentPassword: z.string().max(1024).optional(), newPassword: PasswordSchema.optional() })) },
      responses: okResponses(z.object({ otherSessionsRevoked: z.number().int() }), 400, 401),
    }),
    async (c) => {
      const actor = currentUser(c);
      return ok(c, await passwords.change(actor.userId, actor.sessionId, c.req.valid('json')));
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/password/set',
      tags,
      summary: 'Set a first password on an account that signed up with OAuth',
      security: bearerAuth,
      request: { body: jsonBody(z.object({ newPassword: PasswordSchema })) },
      responses: okResponses(z.object({ passwordSet: z.literal(true) }), 400, 401),
    }),
    async (c) => {
      await passwords.set(currentUser(c).userId, c.req.valid('json').newPassword);
      return ok(c, { passwordSet: true as const });
    },
  );

  app.use('/v1/auth/forgot-password', ...guards.enabled('forgot_password:email', 'turnstile'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/forgot-password',
      tags,
      summary: 'Request a reset link (always 200: reveals nothing about the address)',
      request: { body: jsonBody(z.object({ email: EmailSchema, turnstileToken: z.string().optional() })) },
      responses: okResponses(z.object({ message: z.string() }), 400),
    }),
    async (c) => {
      await passwords.forgot(c.req.valid('json').email);
      return ok(c, { message: FORGOT_MESSAGE });
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/reset-password',
      tags,
      summary: 'Set a new password with the mailed token (ends every session)',
      request: { body: jsonBody(z.object({ token: TokenSchema, password: PasswordSchema })) },
      responses: okResponses(z.object({ passwordReset: z.literal(true) }), 400),
    }),
    async (c) => {
      const { token, password } = c.req.valid('json');
      await passwords.reset(token, password);
      return ok(c, { passwordReset: true as const });
    },
  );
  return app;
}
