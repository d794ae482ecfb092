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

export interface LoopLoad {
  /** The share of the window the loop was not idle (0–1): working, or held up. */
  utilization: number;
  /** The share of a core its thread used (0–1); null where the platform does not tell. */
  cpu: number | null;
}

/**
 * How loaded the event loop was over the last window of at least `windowMs`, sampled when
 * asked: no timer runs, and a caller that asks rarely gets the average since it last asked.
 *
 * Both figures, because neither says "saturated" alone: utilization also counts time the loop
 * waits for a CPU that other processes hold (a crowded machine), and the thread's CPU share
 * drops below one when the loop is saturated but other threads take turns on its core.
 */
export function eventLoopLoad(windowMs = 250, cpuMs: () => number | null = loopThreadCpuMs): () => LoopLoad {
  let lastCpu = cpuMs();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let value: LoopLoad = { utilization: 0, cpu: lastCpu === null ? null : 0 };
  return () => {
    const now = performance.now();
    if (now - lastAt >= windowMs) {
      const current = performance.eventLoopUtilization();
      const cpu = lastCpu === null ? null : cpuMs();
      value = {
        utilization: performance.eventLoopUtilization(current, last).utilization,
        cpu: cpu === null || lastCpu === null ? null : Math.min(1, (cpu - lastCpu) / (now - lastAt)),
      };
      last = current;
      lastCpu = cpu;
      lastAt = now;
    }
    return value;
  };
}
