import { createRoute, z } from '@hono/zod-openapi';
import { ok } from '../../http/envelope.ts';
import { okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { PostSchema } from '../posts/schemas.ts';
import { PublicProfileSchema } from '../accounts/schemas.ts';
import type { SearchService } from './service.ts';

const ResultSchema = z
  .object({
    type: z.enum(['posts', 'users']),
    id: z.string(),
    score: z.number(),
    snippet: z.string().openapi({ description: 'HTML-safe text with matches in <mark>…</mark>' }),
    post: PostSchema.optional(),
    user: PublicProfileSchema.optional(),
  })
  .openapi('SearchResult');

export function searchRoutes(deps: { search: SearchService }) {
  const app = createRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/search',
      tags: ['search'],
      summary: 'Full-text search over posts or users (prefix matching on the last word)',
      description: 'Anonymous callers see public content only; a signed-in user also finds their own private posts.',
      request: {
        query: z.object({
          q: z.string().trim().min(1).max(200),
          type: z.enum(['posts', 'users']).default('posts'),
          limit: z.coerce.number().int().min(1).max(50).default(20),
          cursor: z.string().max(200).optional(),
        }),
      },
      responses: okResponses(z.array(ResultSchema), 400),
    }),
    async (c) => {
      const { q, type, limit, cursor } = c.req.valid('query');
      const result = await deps.search.search({ q, type, limit, cursor, viewerId: c.get('actor')?.userId });
      return ok(c, result.items, 200, { nextCursor: result.nextCursor });
    },
  );
  return app;
}
