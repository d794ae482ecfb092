/**
 * A minimal Prometheus registry: counters and histograms with labels, rendered in the text
 * exposition format. Small enough to sit on the hot path of every request.
 */
type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)
    .join(',');

/** One labelled series of a counter, resolved once so the hot path skips label formatting. */
export interface CounterSeries {
  inc(by?: number): void;
}

/** One labelled series of a histogram, resolved once so the hot path skips label formatting. */
export interface HistogramSeries {
  observe(value: number): void;
}

export class Counter {
  private readonly values = new Map<string, { value: number }>();
  constructor(readonly name: string, readonly help: string) {}
  private cell(labels: Labels): { value: number } {
    const k = key(labels);
    let cell = this.values.get(k);
    if (!cell) this.values.set(k, (cell = { value: 0 }));
    return cell;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.cell(labels).value += by;
  }
  /** The series for these labels; keep it to count without re-formatting labels each time. */
  series(labels: Labels = {}): CounterSeries {
    const cell = this.cell(labels);
    return {
      inc: (by = 1) => {
        cell.value += by;
      },
    };
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, { value }] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${value}`);
    return lines.join('\n');
  }
}

interface HistogramCell {
  /** Per-bucket (not cumulative) counts; the last slot is above the highest bound (+Inf). */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  private readonly cells = new Map<string, HistogramCell>();
  readonly buckets: readonly number[];
  constructor(readonly name: string, readonly help: string, buckets: readonly number[]) {
    // record() relies on ascending bounds, as the exposition format requires anyway.
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  private cell(labels: Labels): HistogramCell {
    const k = key(labels);
    let s = this.cells.get(k);
    if (!s) this.cells.set(k, (s = { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 }));
    return s;
  }
  // Counting only the first matching bucket and summing at render time keeps observe O(1)
  // in the common fast case instead of touching every bucket.
  private record(s: HistogramCell, value: number): void {
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }
  observe(labels: Labels, value: number): void {
    this.record(this.cell(labels), value);
  }
  /** The series for these labels; keep it to observe without re-formatting labels each time. */
  series(labels: Labels): HistogramSeries {
    const s = this.cell(labels);
    return { observe: (value: number) => this.record(s, value) };
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.cells) {
      const sep = k ? `${k},` : '';
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i] as number;
        lines.push(`${this.name}_bucket{${sep}le="${b}"} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`, `${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  private readonly metrics: Array<Counter | Histogram> = [];
  counter(name: string, help: string): Counter {
    const m = new Counter(name, help);
    this.metrics.push(m);
    return m;
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    const m = new Histogram(name, help, buckets);
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}
