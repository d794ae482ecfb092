import { describe, expect, it } from 'vitest';
import { formatRateSpec, parseRateSpec } from './rate-spec.ts';

describe('parseRateSpec', () => {
  it.each([
    ['10/60s', { limit: 10, windowMs: 60_000 }],
    ['10/1m', { limit: 10, windowMs: 60_000 }],
    ['150/5m,open', { limit: 150, windowMs: 300_000, failure: 'open' }],
    ['5 / 1h , closed', { limit: 5, windowMs: 3_600_000, failure: 'closed' }],
    ['3/500ms', { limit: 3, windowMs: 500 }],
    ['100/30', { limit: 100, windowMs: 30_000 }],
    ['1/1d', { limit: 1, windowMs: 86_400_000 }],
    ['2/1.5s', { limit: 2, windowMs: 1_500 }],
  ])('%s', (input, expected) => {
    expect(parseRateSpec(input)).toEqual(expected);
  });

  it('reads "off" as switched off', () => {
    expect(parseRateSpec('off')).toBeNull();
    expect(parseRateSpec(' OFF ')).toBeNull();
  });

  it.each(['', '10', '10/', '/1m', '0/1m', '10/0s', '10/1w', '-1/1m', '10/1m,maybe', '10/400d'])('refuses %j', (input) => {
    expect(() => parseRateSpec(input)).toThrow();
  });

  it('formats with the largest whole unit', () => {
    expect(formatRateSpec({ limit: 10, windowMs: 60_000 })).toBe('10/1m');
    expect(formatRateSpec({ limit: 5, windowMs: 3_600_000 })).toBe('5/1h');
    expect(formatRateSpec({ limit: 5, windowMs: 1_500 })).toBe('5/1500ms');
  });
});
