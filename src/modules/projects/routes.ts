import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { PageQuery, SlugParams } from '../workspaces/schemas.ts';
import { ProjectBody, ProjectParams, ProjectSchema } from './schemas.ts';
import type { ProjectsService } from './service.ts';

const tags = ['projects'];
const security = bearerAuth;

export function projectsRoutes(deps: { projects: ProjectsService }) {
  const { projects } = deps;
  const app = createRouter();
  app.use('/v1/workspaces/:slug/projects', requireUser);
  // Exactly the project itself: routes below a project (keys, logs) may also take an API key.
  app.use('/v1/projects/:id', requireUser);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workspaces/{slug}/projects',
      tags,
      summary: 'Create a project in the workspace (admin)',
      security,
      request: { params: SlugParams, body: jsonBody(ProjectBody) },
      responses: createdResponses(ProjectSchema, 400, 401, 403, 404),
    }),
    async (c) => ok(c, await projects.create(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workspaces/{slug}/projects',
      tags,
      summary: 'The workspace’s projects (members), by cursor',
      security,
      request: { params: SlugParams, query: PageQuery },
      responses: okResponses(z.array(ProjectSchema), 400, 401, 404),
    }),
    async (c) => {
      const page = await projects.list(currentUser(c).userId, c.req.valid('param').slug, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/projects/{id}', tags, summary: 'One project (members)', security, request: { params: ProjectParams }, responses: okResponses(ProjectSchema, 401, 404) }),
    async (c) => ok(c, await projects.get(currentUser(c).userId, c.req.valid('param').id)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/projects/{id}',
      tags,
      summary: 'Rename a project (admin)',
      security,
      request: { params: ProjectParams, body: jsonBody(ProjectBody) },
      responses: okResponses(ProjectSchema, 400, 401, 403, 404),
    }),
    async (c) => ok(c, await projects.rename(currentUser(c).userId, c.req.valid('param').id, c.req.valid('json'))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/projects/{id}',
      tags,
      summary: 'Delete a project with its keys and logs (admin)',
      security,
      request: { params: ProjectParams },
      responses: okResponses(z.object({ deleted: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      await projects.delete(currentUser(c).userId, c.req.valid('param').id);
      return ok(c, { deleted: true as const });
    },
  );
  return app;
}
