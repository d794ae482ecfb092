import { loadavg } from 'node:os';
import { runLoad, type LoadOptions, type LoadResult } from './load.ts';
import { untilQuiet } from './quiet.ts';
import { startServer, type RunningServer, type ServerSpec } from './server.ts';
import { median } from './stats.ts';

/** What one side of a comparison sends; the URL comes from its server. */
export type Workload = Omit<LoadOptions, 'url' | 'duration' | 'connections' | 'serverPid'>;

export interface Side {
  /** Shown in tables, e.g. 'Basalt' or 'bare Hono'. */
  label: string;
  server: RunningServer;
  workload: Workload;
}

export interface Plan {
  rounds: number;
  /** Seconds per measured run. */
  duration: number;
  connections: number;
  /** Seconds of unmeasured load per side before round 1, so neither is measured cold. */
  warmup: number;
}

export interface Summary {
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Median server CPU µs per request, where measurable (Linux). */
  cpuMicrosPerRequest?: number;
  errors: number;
  non2xx: number;
}

export interface Comparison {
  plan: Plan;
  subject: string;
  baseline: string;
  rounds: Array<{ subject: LoadResult; baseline: LoadResult }>;
  subjectSummary: Summary;
  baselineSummary: Summary;
  /**
   * The median of the rounds' own ratios (subject req/s ÷ the baseline's in the same round): each
   * pair ran back to back, so it shares the machine's state, which drifts between rounds on a
   * shared host. The verdict's figure.
   */
  ratio: number;
  /** Median subject req/s ÷ median baseline req/s: the two medians may come from different rounds. Reported beside it. */
  ratioOfMedians: number;
  /** 1-minute load average when the comparison started and ended: above the core count, others were competing. */
  loadAverage: { start: number; end: number };
}

/** `ratio` and `ratioOfMedians` of paired rounds (see Comparison). */
export function ratios(rounds: Comparison['rounds'], subject: Summary, baseline: Summary): Pick<Comparison, 'ratio' | 'ratioOfMedians'> {
  return { ratio: median(rounds.map((r) => r.subject.reqPerSec / r.baseline.reqPerSec)), ratioOfMedians: subject.reqPerSec / baseline.reqPerSec };
}

function summarise(results: LoadResult[]): Summary {
  const cpu = results.flatMap((r) => (r.cpuMicrosPerRequest === undefined ? [] : [r.cpuMicrosPerRequest]));
  return {
    reqPerSec: median(results.map((r) => r.reqPerSec)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    ...(cpu.length === results.length ? { cpuMicrosPerRequest: median(cpu) } : {}),
    errors: results.reduce((n, r) => n + r.errors, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  };
}

/**
 * Runs subject, baseline, subject, baseline, … so that drift on a shared machine (another
 * process, thermal or CPU-steal changes) hits both sides alike; medians shrug off one bad
 * round. Both servers stay up throughout, but only one is under load at a time, and each run
 * starts once the machine has gone quiet after the last (untilQuiet).
 */
export async function compareInterleaved(subject: Side, baseline: Side, plan: Plan, progress: (line: string) => void = () => {}): Promise<Comparison> {
  const loadStart = loadavg()[0] ?? 0;
  const run = async (side: Side, duration: number) => {
    await untilQuiet();
    return runLoad({ ...side.workload, url: side.server.url, duration, connections: plan.connections, ...(side.server.pid > 0 ? { serverPid: side.server.pid } : {}) });
  };
  if (plan.warmup > 0) {
    progress(`warm-up ${plan.warmup}s each`);
    await run(subject, plan.warmup);
    await run(baseline, plan.warmup);
  }
  const rounds: Comparison['rounds'] = [];
  for (let i = 1; i <= plan.rounds; i++) {
    const s = await run(subject, plan.duration);
    const b = await run(baseline, plan.duration);
    rounds.push({ subject: s, baseline: b });
    const cpu = (r: LoadResult) => (r.cpuMicrosPerRequest === undefined ? '' : ` ${r.cpuMicrosPerRequest.toFixed(0)} µs CPU/req`);
    progress(
      `round ${i}/${plan.rounds}: ${subject.label} ${s.reqPerSec.toFixed(0)} req/s${cpu(s)}, ${baseline.label} ${b.reqPerSec.toFixed(0)} req/s${cpu(b)} (${((s.reqPerSec / b.reqPerSec) * 100).toFixed(1)}%)`,
    );
  }
  const subjectSummary = summarise(rounds.map((r) => r.subject));
  const baselineSummary = summarise(rounds.map((r) => r.baseline));
  return {
    plan,
    subject: subject.label,
    baseline: baseline.label,
    rounds,
    subjectSummary,
    baselineSummary,
    ...ratios(rounds, subjectSummary, baselineSummary),
    loadAverage: { start: loadStart, end: loadavg()[0] ?? 0 },
  };
}

/** Starts both servers, compares them, and stops them whatever happens. */
export async function compareServers(
  subject: { label: string; spec: ServerSpec; workload: Workload },
  baseline: { label: string; spec: ServerSpec; workload: Workload },
  plan: Plan,
  progress: (line: string) => void = () => {},
): Promise<Comparison> {
  const started: RunningServer[] = [];
  try {
    const s = await startServer(subject.spec);
    started.push(s);
    const b = await startServer(baseline.spec);
    started.push(b);
    progress(`${subject.label} pid ${s.pid} at ${s.url}; ${baseline.label} pid ${b.pid} at ${b.url}`);
    return await compareInterleaved(
      { label: subject.label, server: s, workload: subject.workload },
      { label: baseline.label, server: b, workload: baseline.workload },
      plan,
      progress,
    );
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}
