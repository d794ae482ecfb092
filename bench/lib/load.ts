import autocannon from 'autocannon';
import { processCpuSeconds } from './cpu.ts';

export interface LoadOptions {
  url: string;
  /** Path and query, e.g. '/health'. */
  path: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Seconds. */
  duration: number;
  connections: number;
  /** The server's pid, to measure its CPU time over the run. */
  serverPid?: number;
}

export interface LoadResult {
  reqPerSec: number;
  /** Milliseconds. */
  p50: number;
  /** Milliseconds. */
  p99: number;
  total: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Server CPU time per completed request in µs, when the server's pid was given (Linux). */
  cpuMicrosPerRequest?: number;
}

/**
 * One autocannon run. Throughput is completed requests over the run's duration, so a run
 * that ended early is not flattered by an average over its few busy seconds.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = options.serverPid === undefined ? undefined : processCpuSeconds(options.serverPid);
  const result = await autocannon({
    url: `${options.url}${options.path}`,
    method: options.method ?? 'GET',
    connections: options.connections,
    duration: options.duration,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const cpuAfter = options.serverPid === undefined ? undefined : processCpuSeconds(options.serverPid);
  const cpu = cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? ((cpuAfter - cpuBefore) * 1e6) / result.requests.total : undefined;
  return {
    reqPerSec: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    ...(cpu !== undefined ? { cpuMicrosPerRequest: cpu } : {}),
  };
}
