import type { Schemas } from '../../../src/client/index.ts';

const LEVEL_ORDER = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Counts over time, stacked by level; a click on a bar narrows the range to it. */
export function Histogram({ data, onSelect }: { data: Schemas['LogHistogram']; onSelect?: (from: Date, to: Date) => void }) {
  const max = Math.max(1, ...data.buckets.map((b) => b.count));
  const first = data.buckets[0];
  const last = data.buckets[data.buckets.length - 1];
  return (
    <figure className="histogram" aria-label={`${data.total} entries, ${data.interval} buckets`}>
      <div className="histogram-bars" data-testid="histogram">
        {data.buckets.map((b) => {
          const start = new Date(b.start);
          const label = `${start.toLocaleString()}: ${b.count} entr${b.count === 1 ? 'y' : 'ies'}`;
          return (
            <button
              key={b.start}
              type="button"
              className="histogram-bar"
              title={label}
              aria-label={label}
              onClick={() => onSelect?.(start, new Date(start.getTime() + data.intervalMs))}
            >
              <span className="histogram-stack" style={{ height: `${(b.count / max) * 100}%` }}>
                {LEVEL_ORDER.map((l) => {
                  const n = b.levels[l] ?? 0;
                  return n > 0 ? <span key={l} className={`lvl-bg-${l}`} style={{ flexGrow: n }} /> : null;
                })}
              </span>
            </button>
          );
        })}
      </div>
      <figcaption className="histogram-axis muted small">
        <span>{first ? new Date(first.start).toLocaleString() : ''}</span>
        <span>
          {data.total} entr{data.total === 1 ? 'y' : 'ies'} · {data.interval} per bar
        </span>
        <span>{last ? new Date(new Date(last.start).getTime() + data.intervalMs).toLocaleString() : ''}</span>
      </figcaption>
    </figure>
  );
}
