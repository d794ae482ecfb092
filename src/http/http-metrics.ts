import type { Context, MiddlewareHandler } from 'hono';
import type { CounterSeries, HistogramSeries, MetricsRegistry } from '../lib/metrics.ts';
import type { AppEnv } from './env.ts';

export type RequestMetrics = (c: Context<AppEnv>, seconds: number) => void;

/** Request count and latency by method, matched route pattern (not raw path) and status. */
export function requestMetrics(registry: MetricsRegistry): RequestMetrics {
  const requests = registry.counter('basalt_http_requests_total', 'HTTP requests by method, route and status.');
  const duration = registry.histogram('basalt_http_request_duration_seconds', 'HTTP request latency.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  // Series resolved once per (method, route, status): the set is bounded because routes are
  // patterns and Node's parser only admits known methods, and a Map hit is far cheaper than
  // formatting and sorting labels on every request.
  const series = new Map<string, { requests: CounterSeries; duration: HistogramSeries }>();
  return (c, seconds) => {
    const method = c.req.method;
    const route = c.req.routePath || 'unmatched';
    const status = c.res.status;
    const k = `${method} ${status} ${route}`;
    let s = series.get(k);
    if (!s) {
      const labels = { method, route, status: String(status) };
      series.set(k, (s = { requests: requests.series(labels), duration: duration.series(labels) }));
    }
    s.requests.inc();
    s.duration.observe(seconds);
  };
}

/** `requestMetrics` as a middleware of its own (see request-context.ts). */
export function httpMetrics(registry: MetricsRegistry): MiddlewareHandler<AppEnv> {
  const record = requestMetrics(registry);
  return async (c, next) => {
    const start = performance.now();
    await next();
    record(c, (performance.now() - start) / 1000);
  };
}
