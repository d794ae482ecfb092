import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { EmailSchema, TokenSchema, UserSchema } from '../accounts/schemas.ts';
import type { EmailChangeService } from './service.ts';

const tags = ['accounts'];

export function emailChangeRoutes(deps: { emailChange: EmailChangeService }) {
  const app = createRouter();
  app.use('/v1/me/email', requireUser);
  app.use('/v1/me/email/*', requireUser);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/email',
      tags,
      summary: 'Request an e-mail change: re-authenticate; a link goes to the new address',
      security: bearerAuth,
      request: { body: jsonBody(z.object({ newEmail: EmailSchema, password: z.string().min(1).max(1024) })) },
      responses: okResponses(z.object({ sent: z.literal(true) }), 400, 401, 409, 502, 503),
    }),
    async (c) => {
      await deps.emailChange.request(currentUser(c).userId, c.req.valid('json'));
      return ok(c, { sent: true as const });
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/email/confirm',
      tags,
      summary: 'Confirm the new address with the mailed token',
      security: bearerAuth,
      request: { body: jsonBody(z.object({ token: TokenSchema })) },
      responses: okResponses(UserSchema, 400, 401, 409),
    }),
    async (c) => ok(c, await deps.emailChange.confirm(currentUser(c).userId, c.req.valid('json').token)),
  );
  return app;
}
