import { AppError } from '../../errors/index.ts';
import { levelName, type LogLevel, type StoredEntry } from './entry.ts';
import { matcher, type FilterInput, type LogFilter } from './filter.ts';
import type { BucketCount, LogsRepo } from './repo.ts';
import { MINUTE_MS } from './store.ts';

export interface HistogramInput extends FilterInput {
  /** Bucket width: `30s`, `5m`, `1h`, `1d`; chosen from the range when absent. */
  interval?: string | undefined;
}

export interface HistogramBucket {
  start: string;
  count: number;
  /** Counts by level; levels with none are left out. */
  levels: Partial<Record<LogLevel, number>>;
}

export interface Histogram {
  from: string;
  to: string;
  interval: string;
  intervalMs: number;
  total: number;
  buckets: HistogramBucket[];
}

const DAY_MS = 24 * 3600 * 1000;
const UNITS: Record<string, number> = { s: 1000, m: MINUTE_MS, h: 3600 * 1000, d: DAY_MS };
const LADDER = ['1s', '5s', '10s', '30s', '1m', '5m', '10m', '30m', '1h', '3h', '6h', '12h', '1d', '7d'];
const AUTO_BUCKETS = 120;
const MAX_BUCKETS = 1000;

function intervalMs(text: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  return m ? Number(m[1]) * (UNITS[m[2] as string] as number) : undefined;
}

function invalid(field: string, issue: string): AppError {
  return new AppError('general:validation_error', { details: [{ field, issue }] });
}

export interface HistogramArgs {
  repo: LogsRepo;
  projectId: string;
  /** Parsed from `input`; from/to defaulted here. */
  filter: LogFilter;
  input: HistogramInput;
  now: number;
  /** The hot cache's entries when `source=kv`. */
  cached: StoredEntry[] | undefined;
}

/**
 * Counts per time bucket (and level) for a filter. Buckets are aligned to multiples of the
 * interval since the epoch and empty ones are listed. Over the SQL store, filters on time
 * and level alone read the per-minute counts the writer keeps (plus the rows of the partial
 * minutes at either end), so a day of millions of entries costs thousands of counts; any
 * other filter counts the matching rows.
 */
export async function histogram(args: HistogramArgs): Promise<Histogram> {
  const { repo, projectId, now, cached } = args;
  const to = args.filter.to ?? now + 1;
  const from = args.filter.from ?? to - DAY_MS;
  if (from >= to) throw invalid('from', 'must be before to');
  let interval = args.input.interval;
  let iv: number;
  if (interval) {
    const parsed = intervalMs(interval);
    if (!parsed) throw invalid('interval', 'a number and a unit: s, m, h or d (e.g. 30s, 5m, 1h)');
    iv = parsed;
  } else {
    interval = LADDER.find((l) => Math.ceil((to - from) / (intervalMs(l) as number)) <= AUTO_BUCKETS) ?? '7d';
    iv = intervalMs(interval) as number;
  }
  const first = Math.floor(from / iv);
  const last = Math.floor((to - 1) / iv);
  if (last - first + 1 > MAX_BUCKETS) throw invalid('interval', `too small for the range: at most ${MAX_BUCKETS} buckets`);
  const filter: LogFilter = { ...args.filter, from, to };

  let counts: BucketCount[];
  if (cached) {
    const match = matcher(filter);
    counts = cached.filter(match).map((e) => ({ bucket: Math.floor(e.ts / iv), level: e.level, n: 1 }));
  } else {
    counts = await countStore(repo, projectId, filter, from, to, iv);
  }

  const buckets: HistogramBucket[] = [];
  for (let b = first; b <= last; b++) buckets.push({ start: new Date(b * iv).toISOString(), count: 0, levels: {} });
  let total = 0;
  for (const c of counts) {
    const bucket = buckets[c.bucket - first];
    if (!bucket || c.n === 0) continue;
    bucket.count += c.n;
    const name = levelName(c.level);
    bucket.levels[name] = (bucket.levels[name] ?? 0) + c.n;
    total += c.n;
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval, intervalMs: iv, total, buckets };
}

async function countStore(repo: LogsRepo, projectId: string, filter: LogFilter, from: number, to: number, iv: number): Promise<BucketCount[]> {
  const countsOnly = !filter.terms && filter.service === undefined && filter.traceId === undefined && filter.attributes.length === 0 && iv % MINUTE_MS === 0;
  const fromMinute = Math.ceil(from / MINUTE_MS);
  const toMinute = Math.floor(to / MINUTE_MS);
  if (!countsOnly || fromMinute >= toMinute) return repo.countRows(projectId, filter, iv);
  const parts = [repo.countMinutes(projectId, filter.levels, fromMinute, toMinute, iv)];
  if (from < fromMinute * MINUTE_MS) parts.push(repo.countRows(projectId, { ...filter, to: fromMinute * MINUTE_MS }, iv));
  if (toMinute * MINUTE_MS < to) parts.push(repo.countRows(projectId, { ...filter, from: toMinute * MINUTE_MS }, iv));
  return (await Promise.all(parts)).flat();
}
