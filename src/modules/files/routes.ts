import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { currentUser, requireUser } from '../../http/auth.ts';
import type { AppEnv } from '../../http/env.ts';
import { ok } from '../../http/envelope.ts';
import { errorResponses } from '../../http/openapi.ts';
import { bearerAuth, createdResponses, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import type { FilesService } from './service.ts';

const tags = ['files'];
const FileSchema = z
  .object({ id: z.string(), name: z.string(), size: z.number(), contentType: z.string(), sha256: z.string(), width: z.number().nullable(), height: z.number().nullable(), createdAt: z.string() })
  .openapi('File');
const Params = z.object({ id: z.string().min(1).max(64) });
const ListQuery = z.object({
  cursor: z.string().max(64).optional().openapi({ description: '`meta.nextCursor` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
const UsageSchema = z.object({ usedBytes: z.number().int(), quotaBytes: z.number().int(), maxUploadBytes: z.number().int() }).openapi('StorageUsage');
const RawQuery = z.object({ name: z.string().max(1024).optional().openapi({ description: 'The file name (sanitised; default `file`)' }) });

/** The request body as a Node stream: the socket itself under @hono/node-server, else the web stream. */
function bodyStream(c: Context<AppEnv>): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.pipe === 'function') return incoming;
  const web = c.req.raw.body;
  if (!web) return Readable.from([]);
  const stream = Readable.fromWeb(web as import('node:stream/web').ReadableStream<Uint8Array>);
  // Kept on the stream (`errored`) for the parser, which attaches its listeners later.
  stream.on('error', () => {});
  return stream;
}

export function filesRoutes(deps: { files: FilesService }) {
  const { files } = deps;
  const app = createRouter();
  app.use('/v1/files', requireUser);
  app.use('/v1/files/*', requireUser);
  app.use('/v1/me/storage', requireUser);

  app.openapi(
    createRoute({ method: 'get', path: '/v1/files', tags, summary: 'My files, newest first (cursor in meta.nextCursor)', security: bearerAuth, request: { query: ListQuery }, responses: okResponses(z.array(FileSchema), 400, 401) }),
    async (c) => {
      const page = await files.list(currentUser(c).userId, c.req.valid('query'));
      return ok(c, page.items, 200, { nextCursor: page.nextCursor });
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/me/storage', tags, summary: 'My upload quota: bytes used, quota, largest upload', security: bearerAuth, responses: okResponses(UsageSchema, 401) }),
    async (c) => ok(c, await files.usage(currentUser(c).userId)),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/files',
      tags,
      summary: 'Upload a file (multipart/form-data, field `file`; verified e-mail required)',
      description: 'Streamed to storage, never buffered. Over MAX_UPLOAD_BYTES or the storage quota: 413 FILE_TOO_LARGE. The content type is sniffed from the bytes.',
      security: bearerAuth,
      responses: createdResponses(FileSchema, 400, 401, 403, 413),
    }),
    // No `request.body` in the route: its validator would parse (buffer) the form. The body is streamed here.
    async (c) => ok(c, await files.upload(currentUser(c).userId, { contentType: c.req.header('content-type'), body: bodyStream(c) }), 201),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/files/raw',
      tags,
      summary: 'Upload a file as the raw request body (`?name=` the file name; verified e-mail required)',
      description:
        'The body is the file itself (any Content-Type; the type is sniffed from the bytes), without multipart framing: cheaper for scripts and large files. Same limits and errors as POST /v1/files: over MAX_UPLOAD_BYTES or the storage quota (also a declared Content-Length) → 413 FILE_TOO_LARGE.',
      security: bearerAuth,
      request: { query: RawQuery },
      responses: createdResponses(FileSchema, 400, 401, 403, 413),
    }),
    async (c) => {
      const length = c.req.header('content-length');
      const contentLength = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
      return ok(c, await files.uploadRaw(currentUser(c).userId, { filename: c.req.valid('query').name ?? '', contentLength, body: bodyStream(c) }), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/v1/files/{id}', tags, summary: 'File metadata (owner, or readers of a post it is attached to)', security: bearerAuth, request: { params: Params }, responses: okResponses(FileSchema, 400, 401) }),
    async (c) => ok(c, await files.meta(currentUser(c).userId, c.req.valid('param').id)),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/files/{id}/content',
      tags,
      summary: 'File bytes (Range, ETag; active content as an attachment)',
      security: bearerAuth,
      request: { params: Params },
      responses: { 200: { description: 'The bytes' }, 206: { description: 'A range of the bytes' }, 304: { description: 'Not modified' }, ...errorResponses(400, 401, 429, 500) },
    }),
    async (c) => {
      const res = await files.content(currentUser(c).userId, c.req.valid('param').id, { range: c.req.header('range'), ifNoneMatch: c.req.header('if-none-match') });
      const body = res.body ? (Readable.toWeb(res.body) as ReadableStream) : null;
      return new Response(body, { status: res.status, headers: res.headers });
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/v1/files/{id}', tags, summary: 'Delete a file (owner)', security: bearerAuth, request: { params: Params }, responses: okResponses(z.object({ deleted: z.literal(true) }), 400, 401) }),
    async (c) => {
      await files.delete(currentUser(c).userId, c.req.valid('param').id);
      return ok(c, { deleted: true as const });
    },
  );
  return app;
}
