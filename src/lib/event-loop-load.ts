import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * The event loop's utilization (0–1, the share of time it was not idle) over the last window
 * of at least `windowMs`, sampled when asked: no timer runs, and a caller that asks rarely gets
 * the average since it last asked.
 */
export function eventLoopLoad(windowMs = 250): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let value = 0;
  return () => {
    const now = performance.now();
    if (now - lastAt >= windowMs) {
      const current = performance.eventLoopUtilization();
      value = performance.eventLoopUtilization(current, last).utilization;
      last = current;
      lastAt = now;
    }
    return value;
  };
}
