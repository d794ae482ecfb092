import { createRoute, z } from '@hono/zod-openapi';
import { catalog } from '../../errors/catalog.ts';
import { ERROR_TYPES } from '../../errors/types.ts';
import { ok } from '../../http/envelope.ts';
import { errorResponses, jsonResponse } from '../../http/openapi.ts';
import { createRouter } from '../../http/router.ts';
import type { MetricsRegistry } from '../../lib/metrics.ts';
import { checkReadiness, type Probe } from './readiness.ts';

const HealthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }).openapi('Health');
const ReadySchema = z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.literal('ok')) }).openapi('Ready');
const CatalogEntrySchema = z
  .object({
    code: z.string(),
    domain: z.string(),
    status: z.number().int(),
    type: z.enum(ERROR_TYPES),
    message: z.string(),
    scenario: z.string(),
    seed: z.enum(['000', '003']).nullable(),
    deviation: z.object({ seedStatus: z.number().int(), why: z.string() }).optional(),
  })
  .openapi('ErrorCatalogEntry');

const tags = ['platform'];

export interface PlatformDeps {
  probes: Probe[];
  metrics: MetricsRegistry;
}

export function platformRoutes(deps: PlatformDeps) {
  const started = performance.now();
  const app = createRouter();

  app.openapi(
    createRoute({ method: 'get', path: '/health', tags, summary: 'Liveness: the process is up', responses: { 200: jsonResponse(HealthSchema, 'Up') } }),
    (c) => ok(c, { status: 'ok' as const, uptimeSeconds: Math.round((performance.now() - started) / 1000) }),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/ready',
      tags,
      summary: 'Readiness: the SQL store and KV store answer',
      responses: { 200: jsonResponse(ReadySchema, 'Ready'), ...errorResponses(503) },
    }),
    async (c) => ok(c, await checkReadiness(deps.probes)),
  );

  app.openapi(
    createRoute({ method: 'get', path: '/errors', tags, summary: 'The error catalog', responses: { 200: jsonResponse(z.array(CatalogEntrySchema), 'Every error code') } }),
    (c) => ok(c, catalog()),
  );

  app.get('/metrics', (c) => c.text(deps.metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));
  return app;
}
