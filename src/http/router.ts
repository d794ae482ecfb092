import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context, Handler } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from './env.ts';
import { validationError, validationHook } from './validation.ts';

type Openapi = OpenAPIHono<AppEnv>['openapi'];
type AnyHandler = Handler<AppEnv>;

/** Every module builds its routes on this, so validation failures share one shape. */
export function createRouter(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = app.openapi;
  app.openapi = ((route: RouteConfig, handler: AnyHandler, hook?: unknown) => {
    const request = route.request;
    // Routes with a body keep the library's validators, so the order of checks (query, path,
    // body) and the 415 gate stay as they are; a route's own hook keeps the library path too.
    if (!request || request.body || hook !== undefined || (!request.params && !request.query)) {
      return (register as (r: RouteConfig, h: AnyHandler, k?: unknown) => unknown)(route, handler, hook);
    }
    const { middleware, hide, ...documented } = route;
    if (!hide) app.openAPIRegistry.registerPath(documented);
    const { params, query, ...rest } = request;
    const validated = inlineValidation(handler, params as z.ZodType | undefined, query as z.ZodType | undefined);
    (register as (r: RouteConfig, h: AnyHandler) => unknown)({ ...documented, middleware, hide: true, request: rest }, validated);
    return app;
  }) as Openapi;
  return app;
}

/**
 * A body-less route's path and query checked synchronously inside its handler, instead of
 * @hono/zod-openapi's async validator layers: each layer of Hono's chain costs every request
 * a closure, a promise and an await (bench/api-key.bench.ts). Same values and same outcome
 * as the library: `c.req.valid('param' | 'query')` afterwards, 400 general:validation_error
 * with every failing field otherwise. Basalt's schemas have no async refinements; one would
 * make `safeParse` throw, which every route's tests would show.
 */
function inlineValidation(handler: AnyHandler, params: z.ZodType | undefined, query: z.ZodType | undefined): AnyHandler {
  return (c, next) => {
    if (query) c.req.addValidatedData('query', parsed(query, queryValues(c)));
    if (params) c.req.addValidatedData('param', parsed(params, c.req.param()));
    return handler(c, next);
  };
}

function parsed(schema: z.ZodType, value: unknown): object {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data as object;
}

/** What hono/validator reads for `query`: one value per key, an array when it repeats. */
function queryValues(c: Context<AppEnv>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => (v.length === 1 ? [k, v[0] as string] : [k, v])));
}
