import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRegistry } from '../lib/metrics.ts';
import { logRequest } from './access-log.ts';
import type { AppEnv } from './env.ts';
import { requestMetrics } from './http-metrics.ts';
import { readHeadersFromNode } from './node-request.ts';
import { assignRequestId } from './request-id.ts';

/**
 * What every request gets before anything else runs: its id (X-Request-Id and the request
 * logger), header reads from Node's parsed headers, and once the response is ready, its
 * access-log line and its metrics. One
 * middleware rather than three: each layer of Hono's chain costs a closure, a promise and
 * an await, and this one runs on every request (bench/health.bench.ts).
 */
export function requestContext(logger: Logger, metrics: MetricsRegistry): MiddlewareHandler<AppEnv> {
  const record = requestMetrics(metrics);
  return async (c, next) => {
    const start = performance.now();
    assignRequestId(c, logger);
    readHeadersFromNode(c);
    await next();
    const ms = performance.now() - start;
    logRequest(c, ms);
    record(c, ms / 1000);
  };
}
