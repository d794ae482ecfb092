/**
 * The text form of a rate-limit rule in the environment: `<limit>/<window>[,open|closed]`,
 * e.g. `10/1m`, `150/5m,open`, `5/1h,closed`, or `off`. A window is a number with a unit
 * (`ms`, `s`, `m`, `h`, `d`); a bare number is seconds.
 */
export type FailureMode = 'open' | 'closed';

export interface RateSpec {
  limit: number;
  windowMs: number;
  /** Absent: the rule's default applies. */
  failure?: FailureMode;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SPEC = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?(?:\s*,\s*(open|closed))?$/i;

/** Parses a spec; throws an Error saying what is wrong. `off` disables the rule (null). */
export function parseRateSpec(input: string): RateSpec | null {
  const s = input.trim();
  if (s.toLowerCase() === 'off') return null;
  const m = SPEC.exec(s);
  if (!m) throw new Error(`expected "<limit>/<window>[,open|closed]" such as "10/1m" or "off" (got "${input}")`);
  const limit = Number(m[1]);
  const windowMs = Math.round(Number(m[2]) * (UNIT_MS[(m[3] ?? 's').toLowerCase()] as number));
  if (limit < 1) throw new Error('the limit must be at least 1');
  if (windowMs < 1) throw new Error('the window must be at least 1 ms');
  if (windowMs > 366 * 86_400_000) throw new Error('the window must be at most a year');
  const failure = m[4]?.toLowerCase() as FailureMode | undefined;
  return failure ? { limit, windowMs, failure } : { limit, windowMs };
}

/** `10/1m` style text for logs and docs. */
export function formatRateSpec(spec: { limit: number; windowMs: number }): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const ms = UNIT_MS[unit] as number;
    if (spec.windowMs % ms === 0) return `${spec.limit}/${spec.windowMs / ms}${unit}`;
  }
  return `${spec.limit}/${spec.windowMs}ms`;
}
