import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Comparison, Plan } from './compare.ts';
import { ROOT } from './server.ts';

export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** `bench/health.bench.ts` → `health`; pass `import.meta.url`. */
export function benchName(moduleUrl: string): string {
  return basename(fileURLToPath(moduleUrl)).replace(/\.bench\.ts$/, '');
}

/**
 * The bench's plan, overridable from the environment for a quick smoke run
 * (`BENCH_ROUNDS=1 BENCH_DURATION=2 npm run bench -- health`); the section states what ran.
 * A bench with a second series of its own passes `prefix` (e.g. `BENCH_LOGIN_`): its variables
 * win over the general ones for that series.
 */
export function planFromEnv(defaults: Plan, prefix?: string): Plan {
  const read = (suffix: string, fallback: number) => {
    const names = prefix ? [`${prefix}${suffix}`, `BENCH_${suffix}`] : [`BENCH_${suffix}`];
    const name = names.find((n) => (process.env[n] ?? '') !== '');
    if (name === undefined) return fallback;
    const raw = process.env[name] as string;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(raw)})`);
    return n;
  };
  return {
    rounds: Math.max(1, Math.round(read('ROUNDS', defaults.rounds))),
    duration: read('DURATION', defaults.duration),
    connections: Math.max(1, Math.round(read('CONNECTIONS', defaults.connections))),
    warmup: read('WARMUP', defaults.warmup),
  };
}

/** Prints the section and stores it as bench/results/<name>.md for run.ts to assemble. */
export function writeSection(name: string, markdown: string): void {
  const text = `${markdown.trimEnd()}\n`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.md`), text);
  process.stdout.write(`\n${text}`);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

export interface Target {
  /** Minimum subject/baseline req/s ratio, e.g. 0.8. */
  minRatio: number;
}

export type Verdict = 'PASS' | 'FAIL';

/** A failed request makes the figures meaningless, so it fails the target too. */
export function verdict(c: Comparison, target: Target): { verdict: Verdict; reason: string } {
  const failures = c.subjectSummary.errors + c.subjectSummary.non2xx + c.baselineSummary.errors + c.baselineSummary.non2xx;
  if (failures > 0) return { verdict: 'FAIL', reason: `${failures} failed requests (errors or non-2xx) during the run` };
  const ok = c.ratio >= target.minRatio;
  return { verdict: ok ? 'PASS' : 'FAIL', reason: `${pct(c.ratio)} ${ok ? '≥' : '<'} ${pct(target.minRatio)}` };
}

export interface ComparisonReport {
  name: string;
  title: string;
  /** What is compared and why; a sentence or two of Markdown. */
  description: string;
  comparison: Comparison;
  target: Target;
}

export function comparisonSection(r: ComparisonReport): string {
  const { comparison: c, target } = r;
  const { plan } = c;
  const v = verdict(c, target);
  const us = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(0));
  const rows = c.rounds.map(
    (round, i) =>
      `| ${i + 1} | ${int(round.subject.reqPerSec)} | ${ms(round.subject.p50)} / ${ms(round.subject.p99)} | ${us(round.subject.cpuMicrosPerRequest)} | ${int(round.baseline.reqPerSec)} | ${ms(round.baseline.p50)} / ${ms(round.baseline.p99)} | ${us(round.baseline.cpuMicrosPerRequest)} | ${pct(round.subject.reqPerSec / round.baseline.reqPerSec)} |`,
  );
  const s = c.subjectSummary;
  const b = c.baselineSummary;
  const cores = cpus().length;
  const busy = Math.max(c.loadAverage.start, c.loadAverage.end) > cores;
  const cpuRatio =
    s.cpuMicrosPerRequest !== undefined && b.cpuMicrosPerRequest !== undefined
      ? `Server CPU per request: ${c.subject} ${us(s.cpuMicrosPerRequest)} µs, ${c.baseline} ${us(b.cpuMicrosPerRequest)} µs (${(s.cpuMicrosPerRequest / b.cpuMicrosPerRequest).toFixed(2)}×); this moves less than req/s when the machine is shared.`
      : 'Server CPU per request: not measurable on this platform.';
  return [
    `## ${r.name}: ${r.title}`,
    '',
    r.description,
    '',
    `Measured ${new Date().toISOString()}: ${plan.rounds} interleaved rounds × ${plan.duration} s, ${plan.connections} connections` +
      `${plan.warmup > 0 ? `, after ${plan.warmup} s unmeasured warm-up each` : ''}.`,
    '',
    `| round | ${c.subject} req/s | p50 / p99 ms | CPU µs/req | ${c.baseline} req/s | p50 / p99 ms | CPU µs/req | ratio |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| **median** | **${int(s.reqPerSec)}** | ${ms(s.p50)} / ${ms(s.p99)} | ${us(s.cpuMicrosPerRequest)} | **${int(b.reqPerSec)}** | ${ms(b.p50)} / ${ms(b.p99)} | ${us(b.cpuMicrosPerRequest)} | **${pct(c.ratio)}** |`,
    '',
    `Ratio of the two medians (not paired by round): ${pct(c.ratioOfMedians)}. The verdict takes the median of the rounds' own ratios: each pair ran back to back on the same machine state.`,
    '',
    cpuRatio,
    '',
    `Failed requests: ${c.subject} ${s.errors} errors, ${s.non2xx} non-2xx; ${c.baseline} ${b.errors} errors, ${b.non2xx} non-2xx.`,
    '',
    `Load average (1 min) ${c.loadAverage.start.toFixed(2)} at start, ${c.loadAverage.end.toFixed(2)} at end on ${cores} cores` +
      (busy ? ': **other work was competing for the CPU, so absolute figures are depressed and noisier than usual**.' : '.'),
    '',
    `**Target:** ${c.subject} ≥ ${pct(target.minRatio)} of ${c.baseline}'s req/s (median of the per-round ratios) — **${v.verdict}** (${v.reason}).`,
  ].join('\n');
}
