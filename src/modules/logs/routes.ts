import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { currentKey, memberOrKey, presentedApiKey, requireScope, type ApiKeyAuthenticator, type ProjectMembership } from '../../http/api-key-auth.ts';
import type { AppEnv } from '../../http/env.ts';
import { hasScope } from '../api-keys/scopes.ts';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { Guards } from '../../http/guards.ts';
import { errorResponses } from '../../http/openapi.ts';
import { acceptedResponses, apiKeyAuth, bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { ProjectParams } from '../projects/schemas.ts';
import { decodeIngestBody } from './ingest-body.ts';
import { attributeParams, HistogramQuerySchema, HistogramSchema, IngestResultSchema, LogEntrySchema, LogQuerySchema, LogSettingsBody, LogSettingsSchema, TailQuerySchema } from './schemas.ts';
import type { LogsService } from './service.ts';
import { tailStream } from './tail-stream.ts';

export interface LogsRoutesDeps {
  logs: LogsService;
  projects: ProjectMembership;
  guards: Guards;
  tailHeartbeatMs: number;
  /** For live tails: the key, or the session and membership, is checked again while it streams. */
  apiKeys: ApiKeyAuthenticator;
  sessionActive(sessionId: string): Promise<boolean>;
  tailRecheckMs?: number;
}

const tags = ['logs'];
const readers = [...bearerAuth, ...apiKeyAuth];

/** How a tail's caller is re-authorised while it streams, and when its credential expires. */
function tailGrant(c: Context<AppEnv>, deps: LogsRoutesDeps, projectId: string): { expiresAt: number | undefined; stillAllowed: () => Promise<boolean> } {
  const key = c.get('apiKey');
  if (key) {
    const secret = presentedApiKey(c) as string;
    const ip = c.get('clientIp');
    return {
      expiresAt: key.expiresAt ?? undefined,
      stillAllowed: async () => {
        const now = await Promise.resolve()
          .then(() => deps.apiKeys.authenticate(secret, ip))
          .catch(() => undefined);
        return now !== undefined && now.projectId === projectId && hasScope(now, 'logs:read');
      },
    };
  }
  const user = currentUser(c);
  return {
    expiresAt: user.tokenExpiresAt,
    stillAllowed: async () => (await deps.sessionActive(user.sessionId)) && (await deps.projects.requireMember(user.userId, projectId).then(() => true, () => false)),
  };
}

export function logsRoutes(deps: LogsRoutesDeps) {
  const { logs, projects, guards } = deps;
  const app = createRouter();
  const read = memberOrKey(projects, 'logs:read');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/logs',
      tags,
      summary: 'Ingest log entries (API key with logs:write)',
      description:
        'Body: one entry, `{entries: [...]}` (JSON) or one entry per line (`application/x-ndjson`); `Content-Encoding: gzip` accepted. ' +
        'Entry: `timestamp` (RFC 3339 or epoch ms / ns; default: arrival), `level` (trace … fatal), `message`, optional `service`, `traceId`, `attributes` (object). ' +
        'At most 1,000 entries and 5 MB (also decompressed) per request, 64 KB per entry: 413 FILE_TOO_LARGE beyond. ' +
        '202 means durably queued: valid entries are taken even when others are rejected. Nothing valid: 400 with details. ' +
        'Queue over its bound: 503 `logs:queue_full` with Retry-After.',
      security: apiKeyAuth,
      middleware: [requireScope('logs:write'), ...guards.enabled('log_ingest:key', 'log_ingest:project')],
      responses: acceptedResponses(IngestResultSchema, 400, 401, 403, 413, 503),
    }),
    // No `request.body`: its validator would parse the body as JSON; it may be gzip or NDJSON.
    async (c) => ok(c, await logs.ingest(currentKey(c).projectId, await decodeIngestBody(c)), 202),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/logs',
      tags,
      summary: 'Query logs, newest first (members, or an API key with logs:read)',
      security: readers,
      middleware: [read],
      request: { params: ProjectParams, query: LogQuerySchema },
      responses: okResponses(z.array(LogEntrySchema), 400, 401, 403, 404),
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await logs.query(c.req.valid('param').id, { ...query, attributes: attributeParams(query) });
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/logs/histogram',
      tags,
      summary: 'Entry counts per time bucket and level, for the same filters',
      security: readers,
      middleware: [read],
      request: { params: ProjectParams, query: HistogramQuerySchema },
      responses: okResponses(HistogramSchema, 400, 401, 403, 404),
    }),
    async (c) => {
      const query = c.req.valid('query');
      return ok(c, await logs.histogram(c.req.valid('param').id, { ...query, attributes: attributeParams(query) }));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/logs/tail',
      tags,
      summary: 'Live tail: new entries matching the filters (Server-Sent Events)',
      description:
        'Each entry is one event: `id` (the log id: send it back as `Last-Event-ID` to resume), `event: log`, `data` (the entry as JSON). ' +
        'The first event is `ready`. Comments (`: heartbeat`) keep the connection open. Pushed as the writer stores entries, on every instance. ' +
        'The stream ends with an `end` event `{reason: "credentials_expired" | "access_revoked"}` when the access token (or key) expires, or when the key is revoked, the session ends or membership is lost (checked every LOG_TAIL_RECHECK_SECONDS).',
      security: readers,
      middleware: [read],
      request: { params: ProjectParams, query: TailQuerySchema, headers: z.object({ 'last-event-id': z.string().max(32).optional() }) },
      responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses(400, 401, 403, 404, 429, 500) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const projectId = c.req.valid('param').id;
      const grant = tailGrant(c, deps, projectId);
      return tailStream(c, { heartbeatMs: deps.tailHeartbeatMs, recheckMs: deps.tailRecheckMs, ...grant }, (listener) =>
        logs.openTail(projectId, { ...query, attributes: attributeParams(query) }, c.req.valid('header')['last-event-id'], listener),
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{id}/logs/settings',
      tags,
      summary: 'Log settings: retention in days',
      security: readers,
      middleware: [read],
      request: { params: ProjectParams },
      responses: okResponses(LogSettingsSchema, 401, 403, 404),
    }),
    async (c) => ok(c, await logs.settings(c.req.valid('param').id)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/projects/{id}/logs/settings',
      tags,
      summary: 'Change log retention (workspace admins)',
      security: bearerAuth,
      middleware: [requireUser],
      request: { params: ProjectParams, body: jsonBody(LogSettingsBody) },
      responses: okResponses(LogSettingsSchema, 400, 401, 403, 404),
    }),
    async (c) => ok(c, await logs.updateSettings(currentUser(c).userId, c.req.valid('param').id, c.req.valid('json'))),
  );
  return app;
}
