import { readFileSync } from 'node:fs';

/** Busy and total CPU time of the whole machine so far (jiffies, from /proc/stat), or undefined off Linux. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // idle and iowait.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the machine is nearly idle: work a side left behind when its load stopped (requests
 * still in flight, a queue of hashes it accepted) must not be charged to the side that runs next.
 * Returns how long it waited; gives up after `maxMs` (something else is busy: the side then runs
 * as it is, and the load average in the report says so).
 */
export async function untilQuiet(options: { busyBelow?: number; windowMs?: number; maxMs?: number } = {}): Promise<number> {
  const { busyBelow = 0.2, windowMs = 100, maxMs = 3_000 } = options;
  const started = performance.now();
  let before = machineCpu();
  if (before === undefined) return 0;
  while (performance.now() - started < maxMs) {
    await sleep(windowMs);
    const now = machineCpu();
    if (now === undefined) return 0;
    const share = now.total > before.total ? (now.busy - before.busy) / (now.total - before.total) : 0;
    if (share < busyBelow) break;
    before = now;
  }
  return performance.now() - started;
}
