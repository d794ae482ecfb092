import { randomBytes } from 'node:crypto';
import { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/logger.ts';
import type { AppEnv } from './env.ts';
import { nodeBindings } from './node-request.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const INCOMING_KEY = 'x-request-id';
const VALID_INCOMING = /^[A-Za-z0-9._:-]{8,128}$/;

// Ids must be unique, not secret: a random per-process prefix (64 bits) and a counter make
// `req_` + 32 hex digits without drawing randomness for every request.
const PROCESS_PREFIX = randomBytes(8).toString('hex');
let counter = 0;

export function newRequestId(): string {
  counter = counter >= Number.MAX_SAFE_INTEGER ? 1 : counter + 1;
  return `req_${PROCESS_PREFIX}${counter.toString(16).padStart(16, '0')}`;
}

const RESPONSE_ID = Symbol('basalt.requestId');
type TaggedResponse = ServerResponse & { [RESPONSE_ID]: string };
const nodeWriteHead = ServerResponse.prototype.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/**
 * `writeHead` with X-Request-Id added to the headers it is given. A header set beforehand with
 * `setHeader` would put Node on writeHead's slow path, which sets (and validates) every other
 * header once more; added here, the response goes out on the fast path. Headers given as an
 * array, or none at all (Node's implicit head), take the header the ordinary way.
 */
function writeHeadWithId(this: TaggedResponse, ...args: unknown[]): ServerResponse {
  const headers = args[args.length - 1];
  if (args.length > 1 && headers !== null && typeof headers === 'object' && !Array.isArray(headers)) (headers as Record<string, string>)[REQUEST_ID_HEADER] = this[RESPONSE_ID];
  else if (!this.hasHeader(REQUEST_ID_HEADER)) this.setHeader(REQUEST_ID_HEADER, this[RESPONSE_ID]);
  return nodeWriteHead.apply(this, args);
}

/**
 * Keeps a well-formed incoming X-Request-Id (so a proxy's id correlates), replaces anything
 * else, and gives the request a child logger bound to the id.
 *
 * Under @hono/node-server the header is read from and written to the Node objects directly:
 * `c.req.header()` would build a WHATWG Headers copy of every request header, and
 * `c.header()` a Headers object for the response, which together cost more than the rest
 * of this middleware (bench/health.bench.ts). In-process `app.fetch` keeps the portable path.
 */
export function assignRequestId(c: Context<AppEnv>, logger: Logger): void {
  const node = nodeBindings(c);
  const raw = node ? node.incoming.headers[INCOMING_KEY] : c.req.header(REQUEST_ID_HEADER);
  const incoming = Array.isArray(raw) ? raw[0] : raw;
  const id = incoming !== undefined && VALID_INCOMING.test(incoming) ? incoming : newRequestId();
  c.set('requestId', id);
  c.set('baseLog', logger);
  // Every response Node writes for this request carries it, error responses included.
  if (node) {
    const res = node.outgoing as TaggedResponse;
    res[RESPONSE_ID] = id;
    (res as ServerResponse).writeHead = writeHeadWithId as ServerResponse['writeHead'];
  } else c.header(REQUEST_ID_HEADER, id);
}

/**
 * The request's logger, bound to its id: every line it writes carries `reqId`. Made on first
 * use, since most requests write only their access line, which access-log.ts writes without
 * one. Undefined before `assignRequestId` ran.
 */
export function requestLog(c: Context<AppEnv>): Logger | undefined {
  let log = c.get('log');
  if (log === undefined) {
    const base = c.get('baseLog');
    if (base === undefined) return undefined;
    log = base.child({ reqId: c.get('requestId') });
    c.set('log', log);
  }
  return log;
}

/** `assignRequestId` as a middleware of its own (the worker's app; see request-context.ts). */
export function requestId(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    assignRequestId(c, logger);
    await next();
  };
}
