import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimiter, RateLimitRule } from './rate-limiter.ts';

// Clock slack when comparing a store's reset time with this process's clock (Redis uses
// its own clock; on one machine they agree, this only absorbs scheduling delay).
const SLACK_MS = 250;
const CONNECTIONS = 4;
const MINUTE: RateLimitRule = { limit: 10, windowMs: 60_000 };

/**
 * The RateLimiter contract: every adapter runs it. `open` must return a NEW connection to
 * the SAME backing store on every call (one file, one key prefix), so atomicity is checked
 * across connections; tests keep apart by using fresh keys.
 */
export function runRateLimiterContract(name: string, open: () => Promise<RateLimiter>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let limiter: RateLimiter;
    const run = randomBytes(4).toString('hex');
    let seq = 0;
    const key = (label = 'k'): string => `contract:${run}:${label}:${++seq}`;

    beforeAll(async () => {
      limiter = await open();
    });
    afterAll(async () => {
      await limiter?.close();
    });

    it('admits a fresh key with limit - 1 remaining and resets after one emission interval', async () => {
      const before = Date.now();
      const d = await limiter.hit(key(), MINUTE);
      expect(d).toMatchObject({ allowed: true, limit: 10, remaining: 9, retryAfterMs: 0 });
      // One hit of 10/min is paid back after 6 s.
      expect(d.resetAt).toBeGreaterThanOrEqual(before + 6_000 - SLACK_MS);
      expect(d.resetAt).toBeLessThanOrEqual(Date.now() + 6_000 + SLACK_MS);
    });

    it('admits a burst of exactly `limit`, counting remaining down, then refuses', async () => {
      const k = key();
      const remaining: number[] = [];
      for (let i = 0; i < 10; i++) {
        const d = await limiter.hit(k, MINUTE);
        expect(d.allowed).toBe(true);
        remaining.push(d.remaining);
      }
      expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      const now = Date.now();
      const refused = await limiter.hit(k, MINUTE);
      expect(refused).toMatchObject({ allowed: false, limit: 10, remaining: 0 });
      // The next hit is due one interval (6 s) after the burst; the full budget after 60 s.
      expect(refused.retryAfterMs).toBeGreaterThan(6_000 - SLACK_MS * 2);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(6_000);
      expect(refused.resetAt).toBeGreaterThanOrEqual(now + 60_000 - SLACK_MS * 2);
      expect(refused.resetAt).toBeLessThanOrEqual(now + 60_000 + SLACK_MS);
    });

    it('does not extend the lockout for refused hits', async () => {
      const k = key();
      for (let i = 0; i < 10; i++) await limiter.hit(k, MINUTE);
      const first = await limiter.hit(k, MINUTE);
      for (let i = 0; i < 20; i++) await limiter.hit(k, MINUTE);
      const later = await limiter.hit(k, MINUTE);
      expect(later.allowed).toBe(false);
      expect(later.resetAt).toBe(first.resetAt);
      expect(later.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs);
    });

    it('gives the full budget back once the window has passed', async () => {
      const rule = { limit: 5, windowMs: 300 };
      const k = key();
      let last = await limiter.hit(k, rule);
      for (let i = 0; i < 4; i++) last = await limiter.hit(k, rule);
      expect(last.remaining).toBe(0);
      expect((await limiter.hit(k, rule)).allowed).toBe(false);
      await sleep(Math.max(0, last.resetAt - Date.now()) + 50);
      const again = await Promise.all(Array.from({ length: 6 }, () => limiter.hit(k, rule)));
      expect(again.filter((d) => d.allowed)).toHaveLength(5);
    });

    it('pays back one hit per emission interval', async () => {
      const rule = { limit: 4, windowMs: 800 };
      const k = key();
      for (let i = 0; i < 4; i++) await limiter.hit(k, rule);
      const refused = await limiter.hit(k, rule);
      expect(refused.allowed).toBe(false);
      await sleep(refused.retryAfterMs + 20);
      expect((await limiter.hit(k, rule)).allowed).toBe(true);
      expect((await limiter.hit(k, rule)).allowed).toBe(false);
    });

    it('keeps keys apart', async () => {
      const a = key('a');
      const b = key('b');
      for (let i = 0; i < 10; i++) await limiter.hit(a, MINUTE);
      expect((await limiter.hit(a, MINUTE)).allowed).toBe(false);
      expect(await limiter.hit(b, MINUTE)).toMatchObject({ allowed: true, remaining: 9 });
    });

    it('charges a cost, and never admits a cost above the limit', async () => {
      const k = key();
      expect(await limiter.hit(k, MINUTE, 3)).toMatchObject({ allowed: true, remaining: 7 });
      expect(await limiter.hit(k, MINUTE, 8)).toMatchObject({ allowed: false, remaining: 0 });
      expect(await limiter.hit(k, MINUTE, 7)).toMatchObject({ allowed: true, remaining: 0 });
      const tooBig = await limiter.hit(key(), MINUTE, 11);
      expect(tooBig).toMatchObject({ allowed: false, retryAfterMs: 60_000 });
    });

    it('reset gives a key its full budget back', async () => {
      const k = key();
      for (let i = 0; i < 10; i++) await limiter.hit(k, MINUTE);
      expect((await limiter.hit(k, MINUTE)).allowed).toBe(false);
      await limiter.reset(k);
      expect(await limiter.hit(k, MINUTE)).toMatchObject({ allowed: true, remaining: 9 });
    });

    it('answers a ping', async () => {
      await expect(limiter.ping()).resolves.toBeUndefined();
    });

    it('rejects (does not hang) once closed', async () => {
      const other = await open();
      await other.close();
      await expect(other.hit(key(), MINUTE)).rejects.toThrow();
    });

    describe(`concurrency across ${CONNECTIONS} connections`, () => {
      let pool: RateLimiter[] = [];
      beforeAll(async () => {
        pool = await Promise.all(Array.from({ length: CONNECTIONS }, () => open()));
      });
      afterAll(async () => {
        await Promise.all(pool.map((l) => l.close()));
      });

      it('of 200 concurrent hits with limit 50, exactly 50 pass, each seeing a distinct remaining', async () => {
        const k = key('race');
        const rule = { limit: 50, windowMs: 60_000 };
        const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => (pool[i % CONNECTIONS] as RateLimiter).hit(k, rule)));
        const allowed = decisions.filter((d) => d.allowed);
        expect(allowed).toHaveLength(50);
        expect(allowed.map((d) => d.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterMs > 0)).toBe(true);
      });

      it('every connection sees the budget the others spent', async () => {
        const k = key('shared');
        for (const l of pool) await l.hit(k, { limit: CONNECTIONS, windowMs: 60_000 });
        for (const l of pool) expect((await l.hit(k, { limit: CONNECTIONS, windowMs: 60_000 })).allowed).toBe(false);
      });
    });
  });
}
