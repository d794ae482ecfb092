import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

/** The request's access-log line (on its request logger): method, path, status, duration. */
export function logRequest(c: Context<AppEnv>, durationMs: number): void {
  const status = c.res.status;
  const line = { method: c.req.method, path: c.req.path, status, durationMs: Math.round(durationMs * 100) / 100 };
  const log = c.get('log');
  if (status >= 500) log.error(line, 'request');
  else log.info(line, 'request');
}

/** One line per request, written when the response is ready. */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    logRequest(c, performance.now() - start);
  };
}
