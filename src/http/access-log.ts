import type { Context, MiddlewareHandler } from 'hono';
import pino from 'pino';
import type { Logger } from '../lib/logger.ts';
import type { AppEnv } from './env.ts';
import { requestLog } from './request-id.ts';

const INFO = 30;
const { chindingsSym, streamSym, timeSym } = pino.symbols;

/** A pino logger's own fields, by the keys pino.symbols (pino's public API) names. */
type PinoInternals = Record<symbol, unknown>;

/**
 * The line pino writes for `log.child({ reqId }).info({ method, path, status, durationMs }, 'request')`,
 * byte for byte, built without the child logger and without walking an object: one line per
 * request is the largest cost of Basalt's middleware (bench/health.bench.ts). Valid for
 * loggers without formatters, mixins or redaction (createLogger makes none); the test
 * compares it with pino's own output.
 */
export function accessLine(base: Logger, reqId: string, method: string, path: string, status: number, durationMs: number): string {
  const p = base as unknown as PinoInternals;
  return `{"level":${INFO}${(p[timeSym] as () => string)()}${p[chindingsSym] as string},"reqId":${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"path":${JSON.stringify(path)},"status":${status},"durationMs":${durationMs},"msg":"request"}\n`;
}

/** The request's access-log line: method, path, status, duration; at error level for a 5xx. */
export function logRequest(c: Context<AppEnv>, durationMs: number): void {
  const status = c.res.status;
  const ms = Math.round(durationMs * 100) / 100;
  const base = c.get('baseLog');
  if (base !== undefined && status < 500) {
    const stream = (base as unknown as PinoInternals)[streamSym] as { write(line: string): unknown };
    if (base.levelVal <= INFO) stream.write(accessLine(base, c.get('requestId'), c.req.method, c.req.path, status, ms));
    return;
  }
  const line = { method: c.req.method, path: c.req.path, status, durationMs: ms };
  const log = requestLog(c);
  if (status >= 500) log?.error(line, 'request');
  else log?.info(line, 'request');
}

/** One line per request, written when the response is ready. */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    logRequest(c, performance.now() - start);
  };
}
