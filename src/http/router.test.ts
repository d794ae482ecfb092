import { createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { ok } from './envelope.ts';
import { errorHandler } from './error-mapper.ts';
import { createRouter } from './router.ts';
import { jsonBody, okResponses } from './route.ts';

const Params = z.object({ id: z.string().regex(/^prj_[a-z0-9]+$/) });
const Query = z.object({ limit: z.coerce.number().int().min(1).max(50).default(20), tag: z.union([z.string(), z.array(z.string())]).optional() });

function app() {
  const router = createRouter();
  router.onError(errorHandler({ exposeInternals: false }));
  router.openapi(
    createRoute({ method: 'get', path: '/things/{id}', request: { params: Params, query: Query }, responses: okResponses(z.object({ id: z.string() }), 400) }),
    (c) => ok(c, { ...c.req.valid('param'), ...c.req.valid('query') }),
  );
  router.openapi(
    createRoute({ method: 'post', path: '/things/{id}', request: { params: Params, body: jsonBody(z.object({ name: z.string() })) }, responses: okResponses(z.object({ id: z.string() }), 400) }),
    (c) => ok(c, { ...c.req.valid('param'), ...c.req.valid('json') }),
  );
  return router;
}

const call = async (router: ReturnType<typeof app>, path: string) => {
  const res = await router.request(path);
  return { status: res.status, body: (await res.json()) as { data: unknown; error: { code: string; details?: unknown } | null } };
};

describe('createRouter: path and query of body-less routes validated inside the handler', () => {
  it('hands the handler the parsed values, as the library validators do', async () => {
    const router = app();
    expect((await call(router, '/things/prj_a1?limit=5')).body.data).toEqual({ id: 'prj_a1', limit: 5 });
    expect((await call(router, '/things/prj_a1')).body.data).toEqual({ id: 'prj_a1', limit: 20 });
    expect((await call(router, '/things/prj_a1?tag=x&tag=y')).body.data).toEqual({ id: 'prj_a1', limit: 20, tag: ['x', 'y'] });
  });

  it('refuses a bad path or query with 400 general:validation_error naming each field', async () => {
    const router = app();
    const badPath = await call(router, '/things/nope');
    expect(badPath.status).toBe(400);
    expect(badPath.body.error).toMatchObject({ code: 'general:validation_error', details: [{ field: 'id' }] });
    const badQuery = await call(router, '/things/prj_a1?limit=500');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error).toMatchObject({ code: 'general:validation_error', details: [{ field: 'limit' }] });
  });

  it('mounts no validator layer for a body-less route; a route with a body keeps the library’s', () => {
    const router = app();
    const layers = (method: string) => router.routes.filter((r) => r.method === method.toUpperCase() && r.path === '/things/:id').length;
    expect(layers('get')).toBe(1);
    expect(layers('post')).toBeGreaterThan(1);
  });

  it('still documents the path and query parameters', () => {
    const doc = app().getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const params = (doc.paths?.['/things/{id}']?.get?.parameters ?? []) as { name: string; in: string }[];
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:limit', 'query:tag']);
  });
});
