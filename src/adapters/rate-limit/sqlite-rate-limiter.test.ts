import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { runRateLimiterContract } from '../../ports/rate-limiter.contract.ts';
import type { RaceResult, RaceTask } from './sqlite-rate-limiter.race-worker.ts';
import { SqliteRateLimiter } from './sqlite-rate-limiter.ts';

const dir = tempDir('basalt-rl-');
afterAll(() => dir.remove());
const contractPath = join(dir.path, 'contract-kv.db');

runRateLimiterContract('sqlite', async () => new SqliteRateLimiter({ path: contractPath }));

// Node 20 ignores `--import tsx` in a worker's execArgv, so the worker registers tsx's
// loader itself before importing the TypeScript racer (which uses the real adapter).
const tsxApi = import.meta.resolve('tsx/esm/api');
const workerUrl = new URL('./sqlite-rate-limiter.race-worker.ts', import.meta.url).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;

function race(tasks: RaceTask[], gate: SharedArrayBuffer): Promise<RaceResult[]> {
  const flags = new Int32Array(gate);
  const results = tasks.map(
    (task) =>
      new Promise<RaceResult>((resolve, reject) => {
        const worker = new Worker(bootstrap, { eval: true, workerData: task });
        worker.once('message', (result: RaceResult) => resolve(result));
        worker.once('error', reject);
      }),
  );
  // Open the gate once every racer has its connection, so they really contend.
  const opener = setInterval(() => {
    if (Atomics.load(flags, 0) === tasks.length) {
      clearInterval(opener);
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
    }
  }, 5);
  return Promise.all(results);
}

describe('SqliteRateLimiter', () => {
  it('admits exactly the limit when 4 threads, each with its own connection, hit one key at once', async () => {
    const path = join(dir.path, 'race-kv.db');
    // Create the table before the racers, as the server does at start-up.
    await new SqliteRateLimiter({ path }).close();
    const gate = new SharedArrayBuffer(8);
    const tasks: RaceTask[] = Array.from({ length: 4 }, () => ({ path, gate, key: 'race', limit: 60, windowMs: 60_000, times: 50 }));
    const results = await race(tasks, gate);
    const remaining = results.flatMap((r) => r.remaining);
    expect(results.reduce((n, r) => n + r.allowed, 0)).toBe(60);
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('uses its own table in the embedded KV file and keeps budgets across reopen', async () => {
    const path = join(dir.path, 'reopen-kv.db');
    const first = new SqliteRateLimiter({ path });
    for (let i = 0; i < 3; i++) await first.hit('k', { limit: 3, windowMs: 60_000 });
    await first.close();
    const second = new SqliteRateLimiter({ path });
    try {
      expect((await second.hit('k', { limit: 3, windowMs: 60_000 })).allowed).toBe(false);
    } finally {
      await second.close();
    }
    const db = new SQLite(path, { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      expect(tables.map((t) => t.name)).toContain('rate_limit_gcra');
    } finally {
      db.close();
    }
  });

  it('sweeps keys whose budget is full again, and only those', async () => {
    const limiter = new SqliteRateLimiter({ path: join(dir.path, 'sweep-kv.db') });
    try {
      await limiter.hit('short', { limit: 1, windowMs: 20 });
      await limiter.hit('long', { limit: 1, windowMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(limiter.sweep()).toBe(1);
      expect((await limiter.hit('long', { limit: 1, windowMs: 60_000 })).allowed).toBe(false);
      expect((await limiter.hit('short', { limit: 1, windowMs: 20 })).allowed).toBe(true);
    } finally {
      await limiter.close();
    }
  });

  it('rejects a hit, rather than waiting forever, while another connection holds the write lock', async () => {
    const path = join(dir.path, 'locked-kv.db');
    const limiter = new SqliteRateLimiter({ path, busyTimeoutMs: 50 });
    const holder = new SQLite(path);
    try {
      holder.exec('begin immediate');
      const start = performance.now();
      await expect(limiter.hit('k', { limit: 5, windowMs: 1000 })).rejects.toThrow(/busy|locked/i);
      expect(performance.now() - start).toBeLessThan(1_000);
    } finally {
      holder.exec('rollback');
      holder.close();
      await limiter.close();
    }
  });
});
