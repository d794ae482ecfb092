import { randomBytes } from 'node:crypto';
import { ServerResponse, type IncomingMessage } from 'node:http';
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
function writeHeadWithId(res: ServerResponse, id: string, args: unknown[]): ServerResponse {
  const headers = args[args.length - 1];
  if (args.length > 1 && headers !== null && typeof headers === 'object' && !Array.isArray(headers)) (headers as Record<string, string>)[REQUEST_ID_HEADER] = id;
  else if (!res.hasHeader(REQUEST_ID_HEADER)) res.setHeader(REQUEST_ID_HEADER, id);
  return nodeWriteHead.apply(res, args);
}

/**
 * The response class `listen` gives Node's server (its `ServerResponse` option): the id has a
 * field of its own and writeHead is the class's, so a response keeps one shape from birth.
 * Adding both to each response instead, as a server built elsewhere needs, changes its hidden
 * class twice per request and makes Node's own response code polymorphic.
 */
export class RequestIdResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  requestId: string | undefined = undefined;

  override writeHead(...args: unknown[]): this {
    if (this.requestId === undefined) return nodeWriteHead.apply(this, args) as this;
    return writeHeadWithId(this, this.requestId, args) as this;
  }
}

function writeHeadTagged(this: TaggedResponse, ...args: unknown[]): ServerResponse {
  return writeHeadWithId(this, this[RESPONSE_ID], args);
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
    const res = node.outgoing;
    if (res instanceof RequestIdResponse) res.requestId = id;
    else {
      (res as TaggedResponse)[RESPONSE_ID] = id;
      res.writeHead = writeHeadTagged as ServerResponse['writeHead'];
    }
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
