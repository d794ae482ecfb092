import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { AssignableRoleSchema, CreateWorkspaceBody, IdParam, MemberSchema, PageQuery, SlugParams, UpdateWorkspaceBody, WorkspaceSchema } from './schemas.ts';
import type { WorkspacesService } from './service.ts';

const tags = ['workspaces'];
const security = bearerAuth;
const MemberParams = SlugParams.extend({ userId: IdParam.openapi({ description: 'A member’s user id, or `me` for the caller (leave)' }) });

export function workspacesRoutes(deps: { workspaces: WorkspacesService }) {
  const { workspaces } = deps;
  const app = createRouter();
  app.use('/v1/workspaces', requireUser);
  app.use('/v1/workspaces/*', requireUser);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workspaces',
      tags,
      summary: 'Create a workspace; the caller becomes its owner (verified e-mail required)',
      security,
      request: { body: jsonBody(CreateWorkspaceBody) },
      responses: createdResponses(WorkspaceSchema, 400, 401, 403, 409),
    }),
    async (c) => ok(c, await workspaces.create(currentUser(c).userId, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workspaces',
      tags,
      summary: 'The workspaces the caller belongs to, with their role, by cursor',
      security,
      request: { query: PageQuery },
      responses: okResponses(z.array(WorkspaceSchema), 400, 401),
    }),
    async (c) => {
      const page = await workspaces.listMine(currentUser(c).userId, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/workspaces/{slug}', tags, summary: 'One workspace (members)', security, request: { params: SlugParams }, responses: okResponses(WorkspaceSchema, 401, 404) }),
    async (c) => ok(c, await workspaces.get(currentUser(c).userId, c.req.valid('param').slug)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/workspaces/{slug}',
      tags,
      summary: 'Rename, or change the slug (admin)',
      security,
      request: { params: SlugParams, body: jsonBody(UpdateWorkspaceBody) },
      responses: okResponses(WorkspaceSchema, 400, 401, 403, 404, 409),
    }),
    async (c) => ok(c, await workspaces.update(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('json'))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/workspaces/{slug}',
      tags,
      summary: 'Delete the workspace with its projects and keys (owner)',
      security,
      request: { params: SlugParams },
      responses: okResponses(z.object({ deleted: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      await workspaces.delete(currentUser(c).userId, c.req.valid('param').slug);
      return ok(c, { deleted: true as const });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workspaces/{slug}/members',
      tags,
      summary: 'Members with their roles, by cursor',
      security,
      request: { params: SlugParams, query: PageQuery },
      responses: okResponses(z.array(MemberSchema), 400, 401, 404),
    }),
    async (c) => {
      const page = await workspaces.members(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/workspaces/{slug}/members/{userId}',
      tags,
      summary: 'Change a member’s role (admin; the owner’s role changes only by transfer)',
      security,
      request: { params: MemberParams, body: jsonBody(z.object({ role: AssignableRoleSchema })) },
      responses: okResponses(MemberSchema, 400, 401, 403, 404),
    }),
    async (c) => {
      const userId = currentUser(c).userId;
      const params = c.req.valid('param');
      return ok(c, await workspaces.changeRole(userId, params.slug, params.userId === 'me' ? userId : params.userId, c.req.valid('json').role));
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/workspaces/{slug}/members/{userId}',
      tags,
      summary: 'Remove a member (admin), or leave with `me` (the owner transfers first)',
      security,
      request: { params: MemberParams },
      responses: okResponses(z.object({ removed: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      const userId = currentUser(c).userId;
      const params = c.req.valid('param');
      await workspaces.removeMember(userId, params.slug, params.userId === 'me' ? userId : params.userId);
      return ok(c, { removed: true as const });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workspaces/{slug}/transfer',
      tags,
      summary: 'Transfer ownership to a member (owner); the previous owner becomes admin',
      security,
      request: { params: SlugParams, body: jsonBody(z.object({ userId: IdParam })) },
      responses: okResponses(z.object({ owner: MemberSchema, previousOwner: MemberSchema }), 400, 401, 403, 404),
    }),
    async (c) => ok(c, await workspaces.transfer(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('json').userId)),
  );
  return app;
}
