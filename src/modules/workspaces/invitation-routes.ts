import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { EmailSchema, TokenSchema } from '../accounts/schemas.ts';
import type { InvitationsService } from './invitations.ts';
import { AssignableRoleSchema, IdParam, InvitationSchema, PageQuery, SlugParams, WorkspaceSchema } from './schemas.ts';

const tags = ['workspaces'];
const security = bearerAuth;

export function invitationRoutes(deps: { invitations: InvitationsService }) {
  const { invitations } = deps;
  const app = createRouter();
  app.use('/v1/workspaces/*', requireUser);
  app.use('/v1/invitations/*', requireUser);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workspaces/{slug}/invitations',
      tags,
      summary: 'Invite by e-mail with a role (admin); the link is valid for 7 days, once',
      security,
      request: { params: SlugParams, body: jsonBody(z.object({ email: EmailSchema, role: AssignableRoleSchema.default('member') })) },
      responses: createdResponses(InvitationSchema, 400, 401, 403, 404, 409, 502, 503),
    }),
    async (c) => ok(c, await invitations.invite(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workspaces/{slug}/invitations',
      tags,
      summary: 'Pending invitations (admin), by cursor',
      security,
      request: { params: SlugParams, query: PageQuery },
      responses: okResponses(z.array(InvitationSchema), 400, 401, 403, 404),
    }),
    async (c) => {
      const page = await invitations.listPending(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/workspaces/{slug}/invitations/{id}',
      tags,
      summary: 'Revoke a pending invitation (admin)',
      security,
      request: { params: SlugParams.extend({ id: IdParam }) },
      responses: okResponses(z.object({ revoked: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      const { slug, id } = c.req.valid('param');
      await invitations.revoke(currentUser(c).userId, slug, id);
      return ok(c, { revoked: true as const });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/invitations/{token}/accept',
      tags,
      summary: 'Join the workspace (signed in, verified, with the invited e-mail)',
      security,
      request: { params: z.object({ token: TokenSchema }) },
      responses: okResponses(z.object({ workspace: WorkspaceSchema }), 400, 401, 403, 404),
    }),
    async (c) => ok(c, await invitations.accept(currentUser(c).userId, c.req.valid('param').token)),
  );
  return app;
}
