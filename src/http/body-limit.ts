import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { AppError } from '../errors/index.ts';
import type { AppEnv } from './env.ts';
import { readBodyFromNode } from './node-body.ts';
import { nodeBindings } from './node-request.ts';

/** Methods whose requests may carry a body: the only ones the limit needs to see. */
export const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface BodyLimitOptions {
  maxBytes: number;
  /** Routes (path prefixes) with their own limit, e.g. log ingest or streaming uploads. */
  overrides?: ReadonlyArray<{ prefix: string; maxBytes: number | 'stream' }>;
}

/**
 * Refuses a body over the limit with 413 FILE_TOO_LARGE: at once from Content-Length, or
 * as soon as a chunked body passes the limit; the rest is never read. Routes marked
 * 'stream' enforce their own limit while streaming (uploads).
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  const tooLarge = (): never => {
    throw new AppError('FILE_TOO_LARGE');
  };
  const limiters = new Map<number, MiddlewareHandler>();
  const limiterFor = (maxSize: number) => {
    let m = limiters.get(maxSize);
    if (!m) limiters.set(maxSize, (m = honoBodyLimit({ maxSize, onError: tooLarge })));
    return m;
  };
  const overrides = options.overrides ?? [];
  return async (c, next) => {
    // Checked before touching c.req.raw: under @hono/node-server that getter builds a whole
    // Request (and AbortController) per request, which dominated the cost of a GET.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || c.req.header('content-length') === '0') return next();
    const override = overrides.find((o) => c.req.path.startsWith(o.prefix));
    // Before `c.req.raw.body`: under @hono/node-server that wraps the socket in a web stream
    // that starts reading it, and a streaming route reading the Node request itself would
    // then stall once the unread web stream fills (uploads over ~100 KB hung).
    if (override?.maxBytes === 'stream') return next();
    const maxBytes = override?.maxBytes ?? options.maxBytes;
    const node = nodeBindings(c);
    const declared = node?.incoming.headers['content-length'];
    if (node && declared !== undefined) {
      // Node's parser reads no further than the declared length: checking it is the limit.
      if (Number(declared) > maxBytes) tooLarge();
      readBodyFromNode(c, node.incoming);
      return next();
    }
    if (c.req.raw.body === null) return next();
    return limiterFor(maxBytes)(c, next);
  };
}
