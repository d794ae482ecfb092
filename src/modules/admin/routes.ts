import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { currentUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { AppEnv } from '../../http/env.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { UserSchema } from '../accounts/schemas.ts';
import type { PasswordsService } from '../passwords/service.ts';
import type { AdminService } from './service.ts';

const tags = ['admin'];
const AdminUserSchema = UserSchema.extend({ banned: z.boolean(), banReason: z.string().nullable(), banExpiresAt: z.string().nullable() }).openapi('AdminUser');
const UserIdParams = z.object({ id: z.string().min(1).max(64) });

export function adminRoutes(deps: { admin: AdminService; passwords: PasswordsService }) {
  const { admin } = deps;
  const app = createRouter();
  const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
    await admin.assertAdmin(currentUser(c).userId);
    await next();
  };
  app.use('/v1/admin/*', requireAdmin);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/admin/users',
      tags,
      summary: 'List and search users (handle or e-mail prefix), by cursor',
      security: bearerAuth,
      request: {
        query: z.object({
          q: z.string().trim().max(100).optional(),
          role: z.enum(['user', 'admin']).optional(),
          cursor: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
        }),
      },
      responses: okResponses(z.array(AdminUserSchema), 400, 401, 403),
    }),
    async (c) => {
      const page = await admin.list(c.req.valid('query'));
      return ok(c, page.users, 200, { nextCursor: page.nextCursor });
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/admin/users/{id}',
      tags,
      summary: 'Set a user’s role',
      security: bearerAuth,
      request: { params: UserIdParams, body: jsonBody(z.object({ role: z.enum(['user', 'admin']) })) },
      responses: okResponses(AdminUserSchema, 400, 401, 403, 404),
    }),
    async (c) => ok(c, await admin.setRole(currentUser(c).userId, c.req.valid('param').id, c.req.valid('json').role)),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/users/{id}/ban',
      tags,
      summary: 'Ban a user (ends every session at once)',
      security: bearerAuth,
      request: { params: UserIdParams, body: jsonBody(z.object({ reason: z.string().max(500).optional(), expiresAt: z.iso.datetime({ offset: true }).optional() }), false) },
      responses: okResponses(AdminUserSchema, 400, 401, 403, 404),
    }),
    async (c) => {
      const body = (c.req.valid('json') ?? {}) as { reason?: string; expiresAt?: string };
      return ok(c, await admin.ban(currentUser(c).userId, c.req.valid('param').id, body));
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/admin/users/{id}/ban', tags, summary: 'Lift a ban', security: bearerAuth, request: { params: UserIdParams }, responses: okResponses(AdminUserSchema, 401, 403, 404) }),
    async (c) => ok(c, await admin.unban(c.req.valid('param').id)),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/users/{id}/password-reset',
      tags,
      summary: 'E-mail the user a password reset link (reports a failed send)',
      security: bearerAuth,
      request: { params: UserIdParams },
      responses: okResponses(z.object({ sent: z.literal(true) }), 401, 403, 404, 502, 503),
    }),
    async (c) => {
      await deps.passwords.sendResetLink(c.req.valid('param').id);
      return ok(c, { sent: true as const });
    },
  );
  return app;
}
