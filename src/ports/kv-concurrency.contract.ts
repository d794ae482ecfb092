import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedKvStore } from './kv.contract.ts';
import type { KvStore } from './kv.ts';

const INSTANCES = 4;

/**
 * The concurrency half of the KvStore contract (run by runKvContract): `open` gives new
 * connections to one backing store, `key` fresh keys.
 */
export function describeKvConcurrency(open: () => Promise<OpenedKvStore>, key: (label?: string) => string): void {
  // Every race runs across several connections to one backing store, since that is where
  // the rules matter in production (several server and worker processes).
  describe(`concurrency across ${INSTANCES} connections`, () => {
    let pool: OpenedKvStore[] = [];
    const via = (i: number): KvStore => {
      const opened = pool[i % pool.length];
      if (!opened) throw new Error('connection pool not open');
      return opened.store;
    };
    const times = <T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> =>
      Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

    beforeAll(async () => {
      pool = await Promise.all(Array.from({ length: INSTANCES }, () => open()));
    });
    afterAll(async () => {
      await Promise.all(pool.map((o) => o.cleanup()));
    });

    it('of 50 concurrent getAndDelete calls on one key, exactly one gets the value', async () => {
      const k = key();
      await via(0).set(k, 'secret', { ttlMs: 10_000 });
      const results = await times(50, (i) => via(i).getAndDelete(k));
      expect(results.filter((r) => r !== null)).toEqual(['secret']);
    });

    it('over 100 keys raced by 8 callers each, every key is taken exactly once', async () => {
      const keys = Array.from({ length: 100 }, () => key('token'));
      await Promise.all(keys.map((k, i) => via(i).set(k, `value-${i}`, { ttlMs: 10_000 })));
      const taken = await times(keys.length * 8, async (i) => {
        const k = keys[i % keys.length] as string;
        return { k, value: await via(i).getAndDelete(k) };
      });
      const winners = taken.filter((t) => t.value !== null);
      expect(winners).toHaveLength(keys.length);
      expect(new Set(winners.map((w) => w.k)).size).toBe(keys.length);
      for (const w of winners) expect(w.value).toBe(`value-${keys.indexOf(w.k)}`);
    });

    it('of 50 concurrent set ifAbsent calls, exactly one returns true and its value stays', async () => {
      const k = key();
      const results = await times(50, (i) => via(i).set(k, `writer-${i}`, { ifAbsent: true, ttlMs: 10_000 }));
      const winners = results.flatMap((ok, i) => (ok ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await via(1).get(k)).toBe(`writer-${winners[0]}`);
    });

    it('500 concurrent increments lose no update', async () => {
      const k = key();
      const results = await times(500, (i) => via(i).increment(k, 1, 10_000));
      expect(await via(0).get(k)).toBe('500');
      // Each caller saw a distinct count: no two read-modify-writes interleaved.
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    });

    it('concurrent batches never interleave: both keys end up from the same batch', async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const [a, b] = [key('a'), key('b')];
        // Opposite orders: writes applied one by one would leave a and b from different batches.
        await times(50, (i) => via(i).batch(i % 2 === 0 ? [{ op: 'set', key: a, value: `w${i}` }, { op: 'set', key: b, value: `w${i}` }] : [{ op: 'set', key: b, value: `w${i}` }, { op: 'set', key: a, value: `w${i}` }]));
        expect(await via(0).get(a)).toBe(await via(0).get(b));
      }
    });

    it('concurrent pushes never let a reader see more than maxLength', async () => {
      const k = key();
      const maxLength = 5;
      const [, reads] = await Promise.all([
        times(50, (i) => via(i).listPush(k, [`a${i}`, `b${i}`, `c${i}`], { maxLength })),
        times(50, async (i) => (await via(i + 1).listRange(k, 100)).length),
      ]);
      for (const n of reads) expect(n).toBeLessThanOrEqual(maxLength);
      expect(await via(0).listRange(k, 100)).toHaveLength(maxLength);
    });
  });
}
