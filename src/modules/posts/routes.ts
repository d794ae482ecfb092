import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import { bearerAuth, createdResponses, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { CreatePostBody, HandleParams, PageQuery, PostIdParams, PostSchema, UpdatePostBody } from './schemas.ts';
import type { PostsService } from './service.ts';

const tags = ['posts'];

export function postsRoutes(deps: { posts: PostsService }) {
  const { posts } = deps;
  const app = createRouter();
  const viewer = (c: { get(key: 'actor'): { userId: string } | undefined }) => c.get('actor')?.userId;

  app.on(['POST'], '/v1/posts', requireUser);
  app.on(['PATCH', 'DELETE'], '/v1/posts/*', requireUser);

  app.openapi(
    createRoute({ method: 'post', path: '/v1/posts', tags, summary: 'Write a post (verified e-mail required)', security: bearerAuth, request: { body: jsonBody(CreatePostBody) }, responses: createdResponses(PostSchema, 400, 401, 403) }),
    async (c) => ok(c, await posts.create(currentUser(c).userId, c.req.valid('json')), 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/posts/{id}', tags, summary: 'One post (public, or your own)', request: { params: PostIdParams }, responses: okResponses(PostSchema, 404) }),
    async (c) => ok(c, await posts.get(c.req.valid('param').id, viewer(c))),
  );
  app.openapi(
    createRoute({ method: 'patch', path: '/v1/posts/{id}', tags, summary: 'Edit a post (author or admin)', security: bearerAuth, request: { params: PostIdParams, body: jsonBody(UpdatePostBody) }, responses: okResponses(PostSchema, 400, 401, 403, 404) }),
    async (c) => ok(c, await posts.update(currentUser(c).userId, c.req.valid('param').id, c.req.valid('json'))),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/posts/{id}', tags, summary: 'Delete a post (author or admin)', security: bearerAuth, request: { params: PostIdParams }, responses: okResponses(z.object({ deleted: z.literal(true) }), 401, 403, 404) }),
    async (c) => {
      await posts.delete(currentUser(c).userId, c.req.valid('param').id);
      return ok(c, { deleted: true as const });
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/users/{handle}/posts', tags, summary: 'A user’s posts, newest first', request: { params: HandleParams, query: PageQuery }, responses: okResponses(z.array(PostSchema), 400, 404) }),
    async (c) => {
      const page = await posts.byAuthor(c.req.valid('param').handle, viewer(c), c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/feed', tags, summary: 'Every public post, newest first', request: { query: PageQuery }, responses: okResponses(z.array(PostSchema), 400) }),
    async (c) => {
      const page = await posts.feed(c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );
  return app;
}
