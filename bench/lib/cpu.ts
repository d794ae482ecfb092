import { readFileSync } from 'node:fs';

// Linux reports process CPU time in clock ticks; 100 per second on every kernel we run on.
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds a process has used so far, or undefined where /proc is absent.
 * Unlike req/s, CPU per request barely moves when other work shares the machine, so it is the
 * steadier figure when a shared CI box is busy.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; count fields after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
