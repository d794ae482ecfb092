import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { Argon2Pool, burnPasswordVerify, closePasswordHashing, hashPassword, verifyPassword } from './password-hash.ts';

afterAll(() => closePasswordHashing());

/** Nice value of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces; fields after it are space-separated.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return nice;
}

describe('password hashing', () => {
  it('hashes with argon2id at OWASP parameters and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toBe(false);
    // Salted: the same password never hashes the same twice.
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored);
  });

  it('maps a failure to system:hashing_error and keeps working afterwards', async () => {
    const failure = await verifyPassword('not an argon2 hash', 'whatever').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('system:hashing_error');
    expect((failure as AppError).cause).toBeInstanceOf(Error);
    expect(await verifyPassword(await hashPassword('still fine'), 'still fine')).toBe(true);
  });

  it('burns a verify for unknown accounts and answers false', async () => {
    expect(await burnPasswordVerify('anything')).toBe(false);
    expect(await burnPasswordVerify('basalt-dummy-password-for-timing')).toBe(false);
  });

  it('queues beyond the pool size and answers every call with its own result', async () => {
    const passwords = Array.from({ length: availableParallelism() * 3 + 1 }, (_, i) => `password-number-${i}`);
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
    const checks = await Promise.all(hashes.map((h, i) => Promise.all([verifyPassword(h, passwords[i] as string), verifyPassword(h, `${passwords[i]}x`)])));
    expect(checks).toEqual(passwords.map(() => [true, false]));
  });

  it('hashes off the event loop: timers keep firing and the loop stays mostly idle while 8 hashes run', async () => {
    await hashPassword('warm the pool up');
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 5);
    const before = performance.eventLoopUtilization();
    await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`concurrent-${i}`)));
    const elu = performance.eventLoopUtilization(before);
    clearInterval(timer);
    // Hashing on the event loop would make it ~100% busy and leave no gap for the timer;
    // generous bounds, as other work may share the machine.
    expect(elu.utilization).toBeLessThan(0.5);
    expect(gaps.length).toBeGreaterThan(3);
    expect(Math.max(...gaps)).toBeLessThan(250);
  });

  it.skipIf(process.platform !== 'linux')('hashes on threads of lowered priority, leaving the event loop’s thread at its own', async () => {
    const pending = Promise.all(Array.from({ length: 4 }, (_, i) => hashPassword(`priority-${i}`)));
    // The workers lower their priority as they start; look while they are busy.
    let lowered: number[] = [];
    for (let i = 0; i < 50 && lowered.length === 0; i++) {
      lowered = [...threadNiceValues()].filter(([, nice]) => nice === 19).map(([tid]) => tid);
      if (lowered.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await pending;
    expect(lowered.length).toBeGreaterThan(0);
    expect(threadNiceValues().get(process.pid)).toBe(0);
  });

  it('runs fewer hashes at once while the event loop is busy, all of them when it is not', async () => {
    const stored = await hashPassword('pool sizing');
    const peak = async (busy: boolean): Promise<number> => {
      const pool = new Argon2Pool(2, 1, () => busy);
      let max = 0;
      const watch = setInterval(() => (max = Math.max(max, pool.inFlight)), 1);
      try {
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run({ op: 'verify', hash: stored, password: i === 0 ? 'pool sizing' : 'wrong' })));
        expect(results).toEqual([true, false, false, false, false, false]);
      } finally {
        clearInterval(watch);
        await pool.close();
      }
      return max;
    };
    expect(await peak(true)).toBe(1);
    expect(await peak(false)).toBe(2);
  });

  it('hands each thread its next job ahead, so it runs while the event loop is busy elsewhere', async () => {
    const stored = await hashPassword('prefetch');
    const pool = new Argon2Pool(1);
    try {
      // The first run also starts the thread; time the second.
      await pool.run({ op: 'verify', hash: stored, password: 'prefetch' });
      const t0 = performance.now();
      await pool.run({ op: 'verify', hash: stored, password: 'prefetch' });
      const oneHash = performance.now() - t0;
      const first = pool.run({ op: 'verify', hash: stored, password: 'prefetch' });
      const second = pool.run({ op: 'verify', hash: stored, password: 'prefetch' }).then(() => performance.now());
      // The loop is busy while the first hash runs and ends, and for a few more hashes’ time.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4 * oneHash);
      const blockedUntil = performance.now();
      await first;
      // Handed over only once the loop is free again, the second would end a whole hash later.
      expect((await second) - blockedUntil).toBeLessThan(oneHash / 2);
    } finally {
      await pool.close();
    }
  });

  it('paces hashing to its share of a core while busy, and not when idle', async () => {
    const stored = await hashPassword('pacing');
    const timeline = async (share: number, busy: boolean) => {
      const pool = new Argon2Pool(1, 1, () => busy, share);
      const starts: number[] = [];
      const ends: number[] = [];
      try {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            const t0 = performance.now();
            await pool.run({ op: 'verify', hash: stored, password: 'pacing' });
            starts.push(t0);
            ends.push(performance.now());
          }),
        );
      } finally {
        await pool.close();
      }
      return Math.max(...ends) - Math.min(...starts);
    };
    const free = await timeline(1, true);
    const idle = await timeline(0.25, false);
    const paced = await timeline(0.25, true);
    // Four hashes back to back take ~4 h; at a quarter of a core, three pauses of ~3 h each
    // come between them (~13 h). Generous bounds: CI machines are noisy.
    expect(paced).toBeGreaterThan(free * 2);
    expect(idle).toBeLessThan(free * 2);
  });

  it('hands results back together while hashes end in quick succession, a lone one at once', async () => {
    const stored = await hashPassword('hand-over');
    const WINDOW = 400;
    const pool = new Argon2Pool(1, 1, () => false, 1, WINDOW);
    const verify = () => pool.run({ op: 'verify', hash: stored, password: 'hand-over' }).then(() => performance.now());
    try {
      // After a quiet spell: back as soon as it is done.
      const t0 = performance.now();
      const lone = await verify();
      expect(lone - t0).toBeLessThan(WINDOW / 2);
      // Two more right away: done well inside the window, handed back together at its end.
      const [a, b] = await Promise.all([verify(), verify()]);
      expect(Math.abs((a as number) - (b as number))).toBeLessThan(20);
      expect(Math.min(a as number, b as number) - lone).toBeGreaterThan(WINDOW * 0.9);
      // Quiet again: at once.
      await new Promise((resolve) => setTimeout(resolve, WINDOW));
      const t1 = performance.now();
      expect((await verify()) - t1).toBeLessThan(WINDOW / 2);
    } finally {
      await pool.close();
    }
  });

  it('starts again after being closed', async () => {
    await closePasswordHashing();
    expect(await verifyPassword(await hashPassword('after close'), 'after close')).toBe(true);
  });
});
