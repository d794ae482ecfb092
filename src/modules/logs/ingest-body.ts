import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Context } from 'hono';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../../http/env.ts';
import type { IngestBody } from './ingest.ts';

/** A log ingest body at most, before and after decompression (create-app gives the route this limit). */
export const MAX_INGEST_BYTES = 5 * 1024 * 1024;

const gunzipAsync = promisify(gunzip);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);

async function decompress(body: Buffer, encoding: string): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') throw new AppError('general:bad_request', { message: 'Unsupported Content-Encoding: send gzip or none' });
  try {
    // Decompressed in the thread pool, and never past the limit: a small bomb stays small.
    return await gunzipAsync(body, { maxOutputLength: MAX_INGEST_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new AppError('FILE_TOO_LARGE', { message: 'Decompressed body over 5 MB' });
    throw new AppError('general:bad_request', { message: 'Body is not valid gzip', cause: err });
  }
}

/**
 * The ingest request body: JSON (one entry, `{entries: [...]}` or an array) or NDJSON (one
 * entry per line), optionally gzip-compressed. The compressed body is limited by the body
 * limit middleware, the decompressed one here.
 */
export async function decodeIngestBody(c: Context<AppEnv>): Promise<IngestBody> {
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase();
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const ndjson = NDJSON_TYPES.has(type);
  if (!ndjson && type !== 'application/json' && !type.endsWith('+json')) {
    throw new AppError('general:bad_request', { message: 'Unsupported content type: send application/json or application/x-ndjson' });
  }
  // From the raw request, not c.req (which would cache the text for the rest of the request):
  // once parsed, the text can go.
  const raw = c.req.raw;
  const text = encoding === '' || encoding === 'identity' ? await raw.text() : (await decompress(Buffer.from(await raw.arrayBuffer()), encoding)).toString('utf8');
  if (ndjson) return { kind: 'ndjson', lines: text.split('\n').filter((l) => l.trim() !== '') };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new AppError('general:bad_request', { message: 'Malformed JSON', cause: err });
  }
}
