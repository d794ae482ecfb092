import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { Container } from '../../src/app/container.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { ok } from '../../src/http/envelope.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { errorResponses, jsonResponse } from '../../src/http/openapi.ts';

const EchoBody = z.object({ name: z.string().min(3), age: z.number().int().min(0), email: z.email() });

/**
 * Routes that exist only in tests: a validated echo, and faults injected at each layer
 * (an exception, a failing statement, a failing transaction).
 */
export function faultRoutes(getContainer: () => Container) {
  return (app: OpenAPIHono<AppEnv>) => {
    app.openapi(
      createRoute({
        method: 'post',
        path: '/v1/__test/echo',
        request: { body: { content: { 'application/json': { schema: EchoBody } }, required: true }, query: z.object({ n: z.coerce.number().int().optional() }) },
        responses: { 200: jsonResponse(EchoBody, 'Echo'), ...errorResponses(400) },
      }),
      (c) => ok(c, c.req.valid('json')),
    );
    app.get('/__test/boom', () => {
      throw new Error('kaboom: secret internal detail');
    });
    app.get('/__test/db', async (c) => {
      await sql`select * from table_that_does_not_exist`.execute(getContainer().sql.db);
      return ok(c, null);
    });
    app.get('/__test/tx', async (c) => {
      await withTransaction(getContainer().sql.db, async (trx) => {
        await sql`insert into basalt_instance (key, value, updated_at) values ('k', 'v', 1)`.execute(trx);
        await sql`insert into basalt_instance (key, value, updated_at) values ('k', 'dup', 2)`.execute(trx);
      });
      return ok(c, null);
    });
  };
}
