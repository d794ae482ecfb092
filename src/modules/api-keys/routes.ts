import { createRoute, z } from '@hono/zod-openapi';
import { currentKey } from '../../http/api-key-auth.ts';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { apiKeyAuth as apiKeySecurity, bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { ProjectParams } from '../projects/schemas.ts';
import { PageQuery } from '../workspaces/schemas.ts';
import { ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema, CurrentApiKeySchema, KeyParams } from './schemas.ts';
import type { ApiKeysService } from './service.ts';

const tags = ['api keys'];
const security = bearerAuth;

export function apiKeysRoutes(deps: { apiKeys: ApiKeysService }) {
  const { apiKeys } = deps;
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/projects/{id}/keys',
      tags,
      summary: 'Create an API key (admin); the secret is in this response only',
      security,
      middleware: [requireUser],
      request: { params: ProjectParams, body: jsonBody(CreateApiKeyBody) },
      responses: createdResponses(CreatedApiKeySchema, 400, 401, 403, 404),
    }),
    async (c) => ok(c, await apiKeys.create(currentUser(c).userId, c.req.valid('param').id, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/keys',
      tags,
      summary: 'The project’s keys, not revoked (admin), by cursor: prefix, scopes, created, last used, expiry',
      security,
      middleware: [requireUser],
      request: { params: ProjectParams, query: PageQuery },
      responses: okResponses(z.array(ApiKeySchema), 400, 401, 403, 404),
    }),
    async (c) => {
      const page = await apiKeys.list(currentUser(c).userId, c.req.valid('param').id, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  // Registered before /keys/{keyId} so the literal segment wins for any method added later.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/keys/current',
      tags,
      summary: 'The calling API key’s own metadata (API key of this project)',
      security: apiKeySecurity,
      request: { params: ProjectParams },
      responses: okResponses(CurrentApiKeySchema, 401, 403, 404),
    }),
    (c) => ok(c, apiKeys.current(currentKey(c), c.req.valid('param').id)),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/projects/{id}/keys/{keyId}',
      tags,
      summary: 'Revoke a key (admin); takes effect immediately',
      security,
      middleware: [requireUser],
      request: { params: KeyParams },
      responses: okResponses(z.object({ revoked: z.literal(true) }), 401, 403, 404),
    }),
    async (c) => {
      const { id, keyId } = c.req.valid('param');
      await apiKeys.revoke(currentUser(c).userId, id, keyId);
      return ok(c, { revoked: true as const });
    },
  );
  return app;
}
