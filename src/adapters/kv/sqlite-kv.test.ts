import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { runKvContract } from '../../ports/kv.contract.ts';
import type { RaceReply, RaceResult, RaceTask } from './sqlite-kv.race-worker.ts';
import { SqliteKvStore } from './sqlite-kv.ts';

const dir = tempDir('basalt-kv-');
afterAll(() => dir.remove());
let files = 0;
const freshPath = (): string => join(dir.path, `kv-${++files}.sqlite`);

const contractPath = freshPath();
runKvContract('sqlite', async () => {
  const store = new SqliteKvStore({ path: contractPath });
  return { store, cleanup: () => store.close() };
});

function rowCounts(path: string): { kv: number; set: number; list: number } {
  const db = new SQLite(path, { readonly: true });
  try {
    const count = (table: string): number => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    return { kv: count('kv'), set: count('kv_set'), list: count('kv_list') };
  } finally {
    db.close();
  }
}

describe('SqliteKvStore', () => {
  it('keeps values, counters, sets, lists and TTLs across close and reopen', async () => {
    const path = freshPath();
    const before = new SqliteKvStore({ path });
    await before.set('session', '{"user":"u1"}', { ttlMs: 60_000 });
    await before.increment('counter', 3);
    await before.setAdd('set', ['a', 'b']);
    await before.listPush('list', ['1', '2'], { maxLength: 10 });
    await before.close();

    const after = new SqliteKvStore({ path });
    try {
      expect(await after.get('session')).toBe('{"user":"u1"}');
      expect(await after.ttl('session')).toBeGreaterThan(50_000);
      expect(await after.increment('counter')).toBe(4);
      expect((await after.setMembers('set')).sort()).toEqual(['a', 'b']);
      expect(await after.listRange('list', 10)).toEqual(['2', '1']);
    } finally {
      await after.close();
    }
  });

  it('sweep() deletes expired rows from every table and keeps live ones', async () => {
    const path = freshPath();
    const store = new SqliteKvStore({ path });
    try {
      await store.set('short', 'v', { ttlMs: 50 });
      await store.set('forever', 'v');
      await store.setAdd('short-set', ['a', 'b'], 50);
      await store.listPush('short-list', ['1', '2', '3'], { maxLength: 10, ttlMs: 50 });
      await store.listPush('long-list', ['1'], { maxLength: 10, ttlMs: 60_000 });
      expect(rowCounts(path)).toEqual({ kv: 2, set: 2, list: 4 });
      await sleep(120);
      // The key; the set's two members and its lifetime row; the list's three items.
      expect(store.sweep()).toBe(1 + 2 + 1 + 3);
      expect(rowCounts(path)).toEqual({ kv: 1, set: 0, list: 1 });
      expect(await store.get('forever')).toBe('v');
    } finally {
      await store.close();
    }
  });

  it('keeps a set\'s lifetime in one row: a TTL given on add rewrites no other member', async () => {
    const path = freshPath();
    const store = new SqliteKvStore({ path });
    try {
      await store.setAdd('usess:u1', ['s1', 's2'], 60_000);
      await store.setAdd('usess:u1', ['s3'], 120_000);
      const db = new SQLite(path, { readonly: true });
      try {
        expect(db.prepare('select member, expires_at from kv_set order by member').all()).toEqual(['s1', 's2', 's3'].map((member) => ({ member, expires_at: null })));
        const ttl = db.prepare('select expires_at from kv_set_ttl where key = ?').pluck().get('usess:u1') as number;
        expect(ttl - Date.now()).toBeGreaterThan(110_000);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });

  it('moves a file written before sets had one lifetime row: live sets keep theirs, expired ones stay gone', async () => {
    const path = freshPath();
    const old = new SQLite(path);
    const now = Date.now();
    old.exec(`create table kv (key text primary key, value text not null, expires_at integer) without rowid;
      create table kv_set (key text not null, member text not null, expires_at integer, primary key (key, member)) without rowid;
      create table kv_list (key text not null, seq integer not null, value text not null, expires_at integer, primary key (key, seq)) without rowid;`);
    const member = old.prepare('insert into kv_set (key, member, expires_at) values (?, ?, ?)');
    member.run('live', 'a', now + 60_000);
    member.run('live', 'b', now + 60_000);
    member.run('dead', 'c', now - 1_000);
    member.run('forever', 'd', null);
    old.close();
    const store = new SqliteKvStore({ path });
    try {
      expect((await store.setMembers('live')).sort()).toEqual(['a', 'b']);
      expect(await store.setMembers('dead')).toEqual([]);
      expect(await store.setMembers('forever')).toEqual(['d']);
      await store.setAdd('dead', ['e']);
      expect(await store.setMembers('dead')).toEqual(['e']);
    } finally {
      await store.close();
    }
    // Opening it again does not move anything twice.
    const again = new SqliteKvStore({ path });
    try {
      expect((await again.setMembers('live')).sort()).toEqual(['a', 'b']);
    } finally {
      await again.close();
    }
  });

  it('sweeps on its timer without being asked', async () => {
    const path = freshPath();
    const store = new SqliteKvStore({ path, sweepIntervalMs: 25 });
    try {
      await store.set('short', 'v', { ttlMs: 30 });
      await store.setAdd('short-set', ['a'], 30);
      expect(rowCounts(path)).toEqual({ kv: 1, set: 1, list: 0 });
      const deadline = Date.now() + 2_000;
      while (rowCounts(path).kv + rowCounts(path).set > 0 && Date.now() < deadline) await sleep(20);
      expect(rowCounts(path)).toEqual({ kv: 0, set: 0, list: 0 });
    } finally {
      await store.close();
    }
  });

  describe('racing worker threads, each with its own connection', () => {
    const WORKERS = 4;

    // Node 20 ignores `--import tsx` in a worker's execArgv, so the worker registers tsx's
    // loader itself before importing the TypeScript racer (which uses the real adapter).
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const workerUrl = new URL('./sqlite-kv.race-worker.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;

    let workers: Worker[] = [];
    beforeAll(() => {
      workers = Array.from({ length: WORKERS }, () => new Worker(bootstrap, { eval: true }));
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    });

    function run(worker: Worker, task: RaceTask): Promise<RaceResult> {
      return new Promise<RaceResult>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        worker.once('error', onError);
        worker.once('message', (reply: RaceReply) => {
          worker.off('error', onError);
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`race worker failed: ${reply.error}`));
        });
        worker.postMessage(task);
      });
    }

    async function race(task: (gate: SharedArrayBuffer) => RaceTask): Promise<RaceResult[]> {
      // [0]: racers checked in, [1]: go.
      const gate = new SharedArrayBuffer(8);
      const flags = new Int32Array(gate);
      const open = (): void => {
        Atomics.store(flags, 1, 1);
        Atomics.notify(flags, 1);
      };
      const results = Promise.all(workers.map((w) => run(w, task(gate))));
      try {
        const checkedIn = (async () => {
          while (Atomics.load(flags, 0) < workers.length) await sleep(2);
        })();
        // A racer that fails before checking in must fail the test, not leave it waiting.
        await Promise.race([checkedIn, results]);
        open();
        return await results;
      } finally {
        open();
      }
    }

    it('takes each of 200 keys exactly once across 4 racers', async () => {
      const path = freshPath();
      const keys = Array.from({ length: 200 }, (_, i) => `token-${i}`);
      const seed = new SqliteKvStore({ path });
      for (const [i, k] of keys.entries()) await seed.set(k, `value-${i}`, { ttlMs: 60_000 });
      await seed.close();

      // Every racer walks the keys in the same order, so they collide on each one.
      const results = await race((gate) => ({ kind: 'take', path, gate, keys }));
      const taken = results.flatMap((r) => (r.kind === 'take' ? r.taken : []));
      expect(taken).toHaveLength(keys.length);
      expect(new Map(taken)).toEqual(new Map(keys.map((k, i) => [k, `value-${i}`])));
      expect(rowCounts(path).kv).toBe(0);
    });

    it('4 racers incrementing one key 250 times each reach exactly 1000', async () => {
      const path = freshPath();
      const results = await race((gate) => ({ kind: 'increment', path, gate, key: 'counter', times: 250 }));
      const seen = results.flatMap((r) => (r.kind === 'increment' ? r.seen : []));
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      const store = new SqliteKvStore({ path });
      try {
        expect(await store.get('counter')).toBe('1000');
      } finally {
        await store.close();
      }
    });
  });
});
