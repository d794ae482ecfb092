import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/task/<tid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The event loop thread's CPU time (ms) from /proc, or null where there is none. */
function loopThreadCpuMs(): number | null {
  try {
    // The main thread's id is the process id; comm (in parentheses) may hold spaces.
    const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * How loaded the event loop is (0–1) over the last window of at least `windowMs`, sampled when
 * asked: no timer runs, and a caller that asks rarely gets the average since it last asked.
 *
 * On Linux it is the share of a core the loop's thread used. Its utilization (time not idle)
 * would also count time spent waiting for a CPU that other processes hold, or blocked in a
 * synchronous call: a loop on a crowded machine would look saturated while doing little, and
 * password hashing (password-hash.ts) would be held back for no request's sake. Elsewhere it
 * is the utilization.
 */
export function eventLoopLoad(windowMs = 250, cpuMs: () => number | null = loopThreadCpuMs): () => number {
  let lastCpu = cpuMs();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let value = 0;
  return () => {
    const now = performance.now();
    if (now - lastAt >= windowMs) {
      const cpu = lastCpu === null ? null : cpuMs();
      if (cpu !== null && lastCpu !== null) {
        value = Math.min(1, (cpu - lastCpu) / (now - lastAt));
        lastCpu = cpu;
      } else {
        const current = performance.eventLoopUtilization();
        value = performance.eventLoopUtilization(current, last).utilization;
        last = current;
      }
      lastAt = now;
    }
    return value;
  };
}
