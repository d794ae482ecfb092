import type { ErrorHandler, MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRegistry } from '../lib/metrics.ts';
import { logRequest } from './access-log.ts';
import type { AppEnv } from './env.ts';
import { requestMetrics } from './http-metrics.ts';
import { nextTurn } from './next-turn.ts';
import { readHeadersFromNode } from './node-request.ts';
import { assignRequestId } from './request-id.ts';
import type { ClientIpStep } from './client-ip.ts';
import type { CredentialsStep } from './credentials.ts';

export interface RequestContextDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  clientIp: ClientIpStep;
  /** The app's error handler, for a request its client-address or credentials step refuses. */
  onError: ErrorHandler<AppEnv>;
  /**
   * Authentication for paths under `prefix`, run here when nothing has to come between it and
   * the request context (create-app.ts): one layer of Hono's chain less on every API request.
   */
  credentials?: { prefix: string; step: CredentialsStep } | undefined;
}

/**
 * What every request gets before anything else runs: its id (X-Request-Id and the request
 * logger), header reads from Node's parsed headers, its client address, and once the
 * response is ready, its access-log line and its metrics. It starts on the loop's next turn,
 * with the other requests that arrived in the same one (next-turn.ts). One middleware rather than four:
 * each layer of Hono's chain costs a closure, a promise and an await, and this one runs on
 * every request (bench/health.bench.ts). A bad forwarded address throws here, after the id
 * is set, so its error envelope still carries the request id.
 */
export function requestContext(deps: RequestContextDeps): MiddlewareHandler<AppEnv> {
  const { logger, clientIp, onError, credentials } = deps;
  const record = requestMetrics(deps.metrics);
  return async (c, next) => {
    const start = performance.now();
    // Handled a loop turn later, with every request that arrived alongside (see nextTurn).
    await nextTurn();
    assignRequestId(c, logger);
    readHeadersFromNode(c);
    try {
      clientIp(c);
      if (credentials !== undefined && underPrefix(c.req.path, credentials.prefix)) {
        const pending = credentials.step(c);
        if (pending !== undefined) await pending;
      }
    } catch (err) {
      // Thrown here, outside next(), Hono would answer without this request's access line
      // and metrics; answered here, the request is logged like any other refusal.
      if (!(err instanceof Error)) throw err;
      c.res = await onError(err, c);
    }
    if (!c.finalized) await next();
    const ms = performance.now() - start;
    logRequest(c, ms);
    record(c, ms / 1000);
  };
}

/** Hono's `${prefix}/*`: the prefix itself and everything below it. */
function underPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47);
}
