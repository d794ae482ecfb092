import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

export interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** The raw Node request/response that @hono/node-server passes as `c.env`, if served by it. */
export function nodeBindings(c: Context): NodeBindings | undefined {
  const env = c.env as Partial<NodeBindings> | undefined;
  return env?.incoming?.headers !== undefined && typeof env.outgoing?.setHeader === 'function' ? (env as NodeBindings) : undefined;
}

/**
 * One request header (`name` in lower case). Under @hono/node-server it is read from Node's
 * parsed headers: `c.req.header()` builds a WHATWG Headers copy of every request header on
 * first use, which cost more than the middleware reading it. In-process `app.fetch` (tests)
 * keeps the portable path. Repeated headers read as Node joins them (`, `), except those
 * Node keeps only once (Authorization among them).
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const env = c.env as Partial<NodeBindings> | undefined;
  const headers = env?.incoming?.headers;
  if (headers === undefined) return c.req.header(name);
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Makes `c.req.header(name)` read Node's parsed headers for this request. Hono's validators
 * (and cookie helpers, body checks) call it, and the first call would otherwise build a WHATWG
 * Headers copy of every request header, the largest cost of validating a GET's path
 * parameters. Reading all headers (`c.req.header()`) keeps Hono's own path. Differences
 * appear only with a repeated header: Node keeps the first of those it defines as single
 * (Content-Type, Authorization, …) where Headers would join them.
 */
const NODE_HEADERS = Symbol('basalt.nodeHeaders');

type PatchedRequest = Context['req'] & { [NODE_HEADERS]: IncomingMessage['headers'] };

// One shared function (not a closure per request): the tsx loader wraps every function
// created at run time in a naming helper, which showed in profiles of the request path.
function nodeHeader(this: PatchedRequest, name?: string): string | undefined | Record<string, string> {
  if (name === undefined) return (Object.getPrototypeOf(this) as Context['req']).header.call(this);
  const value = this[NODE_HEADERS][name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function readHeadersFromNode(c: Context): void {
  const headers = (c.env as Partial<NodeBindings> | undefined)?.incoming?.headers;
  if (headers === undefined) return;
  const req = c.req as PatchedRequest;
  req[NODE_HEADERS] = headers;
  req.header = nodeHeader as Context['req']['header'];
}
