import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { Guards } from '../../http/guards.ts';
import { bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import type { AccountsService } from './service.ts';
import { EmailSchema, HandleSchema, PasswordSchema, ProfilePatchSchema, PublicProfileSchema, TokenSchema, UserSchema } from './schemas.ts';

const tags = ['accounts'];

export function accountsRoutes(deps: { accounts: AccountsService; guards: Guards }) {
  const { accounts, guards } = deps;
  const app = createRouter();

  app.use('/v1/auth/register', ...guards.enabled('register:ip', 'turnstile'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/register',
      tags,
      summary: 'Create an account; sends a verification e-mail',
      request: { body: jsonBody(z.object({ email: EmailSchema, handle: HandleSchema, password: PasswordSchema, turnstileToken: z.string().optional() })) },
      responses: createdResponses(z.object({ user: UserSchema, verificationEmailSent: z.boolean() }), 400, 403, 409),
    }),
    async (c) => {
      const { email, handle, password } = c.req.valid('json');
      return ok(c, await accounts.register({ email, handle, password }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/verify-email',
      tags,
      summary: 'Confirm the e-mail address with the mailed token',
      request: { body: jsonBody(z.object({ token: TokenSchema })) },
      responses: okResponses(z.object({ user: UserSchema }), 400),
    }),
    async (c) => ok(c, { user: await accounts.verifyEmail(c.req.valid('json').token) }),
  );

  app.use('/v1/auth/verify-email/resend', requireUser);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/verify-email/resend',
      tags,
      summary: 'Send the verification e-mail again',
      security: bearerAuth,
      responses: okResponses(z.object({ sent: z.literal(true) }), 400, 401, 502, 503),
    }),
    async (c) => {
      await accounts.resendVerification(currentUser(c).userId);
      return ok(c, { sent: true as const });
    },
  );

  // GET needs no guard layer of its own: its handler refuses an anonymous caller first thing.
  app.on(['PATCH', 'DELETE'], '/v1/me', requireUser);
  app.openapi(createRoute({ method: 'get', path: '/v1/me', tags, summary: 'The signed-in account', security: bearerAuth, responses: okResponses(UserSchema, 401) }), async (c) =>
    ok(c, await accounts.me(currentUser(c).userId)),
  );
  app.openapi(
    createRoute({ method: 'patch', path: '/v1/me', tags, summary: 'Update the profile', security: bearerAuth, request: { body: jsonBody(ProfilePatchSchema) }, responses: okResponses(UserSchema, 400, 401) }),
    async (c) => ok(c, await accounts.updateProfile(currentUser(c).userId, c.req.valid('json'))),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/me',
      tags,
      summary: 'Delete the account (password, or a sign-in in the last 5 minutes)',
      security: bearerAuth,
      request: { body: jsonBody(z.object({ password: z.string().min(1).optional() }), false) },
      responses: okResponses(z.object({ deleted: z.literal(true) }), 400, 401),
    }),
    async (c) => {
      const actor = currentUser(c);
      const body = c.req.valid('json') as { password?: string } | undefined;
      await accounts.deleteAccount(actor.userId, { password: body?.password, authenticatedAt: actor.session.authenticatedAt });
      return ok(c, { deleted: true as const });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{handle}',
      tags,
      summary: 'Public profile by handle',
      request: { params: z.object({ handle: z.string().min(1).max(64) }) },
      responses: okResponses(PublicProfileSchema, 404),
    }),
    async (c) => ok(c, await accounts.publicProfile(c.req.valid('param').handle)),
  );
  return app;
}
