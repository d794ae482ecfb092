import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeKvConcurrency } from './kv-concurrency.contract.ts';
import type { KvStore } from './kv.ts';

export interface OpenedKvStore {
  store: KvStore;
  cleanup(): Promise<void>;
}

// Short enough to keep the suite fast, long enough that a slow CI runner still reads the
// value before it lapses; WAIT leaves a clear margin past it.
const TTL = 100;
const WAIT = 200;

/**
 * The KvStore contract: every adapter runs it. `open` must return a NEW connection to the
 * SAME backing store on every call (one file, one key prefix), so the concurrency rules are
 * checked across connections; tests keep apart by using fresh keys. The caller removes the
 * backing store itself once the suite is done.
 */
export function runKvContract(name: string, open: () => Promise<OpenedKvStore>): void {
  describe(`KvStore contract: ${name}`, () => {
    let kv: KvStore;
    let opened: OpenedKvStore | undefined;
    const run = randomBytes(4).toString('hex');
    let seq = 0;
    const key = (label = 'k'): string => `contract:${run}:${label}:${++seq}`;

    beforeAll(async () => {
      opened = await open();
      kv = opened.store;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    describe('get / set / delete', () => {
      it('returns null for a missing key', async () => {
        expect(await kv.get(key())).toBeNull();
      });

      it('stores, overwrites and deletes a value', async () => {
        const k = key();
        expect(await kv.set(k, 'one')).toBe(true);
        expect(await kv.get(k)).toBe('one');
        expect(await kv.set(k, 'two')).toBe(true);
        expect(await kv.get(k)).toBe('two');
        expect(await kv.delete(k)).toBe(true);
        expect(await kv.get(k)).toBeNull();
        expect(await kv.delete(k)).toBe(false);
      });

      it('round-trips opaque strings unchanged', async () => {
        for (const value of ['', ' ', '{"a":[1,2,{"b":null}]}', 'émoji 🔑 ключ', 'line\nbreak', '0', 'null']) {
          const k = key();
          await kv.set(k, value);
          expect(await kv.get(k)).toBe(value);
        }
      });
    });

    describe('expiry', () => {
      it('never returns a value past its TTL', async () => {
        const k = key();
        await kv.set(k, 'v', { ttlMs: TTL });
        expect(await kv.get(k)).toBe('v');
        await sleep(WAIT);
        expect(await kv.get(k)).toBeNull();
        expect(await kv.ttl(k)).toBeNull();
        expect(await kv.getAndDelete(k)).toBeNull();
        expect(await kv.delete(k)).toBe(false);
      });

      it('a plain set replaces an earlier TTL with none, and a TTL set replaces none', async () => {
        const k = key();
        await kv.set(k, 'a', { ttlMs: TTL });
        await kv.set(k, 'b');
        await sleep(WAIT);
        expect(await kv.get(k)).toBe('b');
        expect(await kv.ttl(k)).toBe(Infinity);
        await kv.set(k, 'c', { ttlMs: TTL });
        await sleep(WAIT);
        expect(await kv.get(k)).toBeNull();
      });
    });

    describe('set with ifAbsent', () => {
      it('succeeds once, fails while the value lives, succeeds again after expiry', async () => {
        const k = key();
        expect(await kv.set(k, 'first', { ifAbsent: true, ttlMs: TTL })).toBe(true);
        expect(await kv.set(k, 'second', { ifAbsent: true, ttlMs: TTL })).toBe(false);
        expect(await kv.get(k)).toBe('first');
        await sleep(WAIT);
        expect(await kv.set(k, 'third', { ifAbsent: true })).toBe(true);
        expect(await kv.get(k)).toBe('third');
        expect(await kv.ttl(k)).toBe(Infinity);
      });

      it('never overwrites a value without expiry', async () => {
        const k = key();
        await kv.set(k, 'kept');
        expect(await kv.set(k, 'lost', { ifAbsent: true })).toBe(false);
        expect(await kv.get(k)).toBe('kept');
      });

      it('applies its TTL when it writes', async () => {
        const k = key();
        expect(await kv.set(k, 'v', { ifAbsent: true, ttlMs: 10_000 })).toBe(true);
        const ttl = await kv.ttl(k);
        expect(ttl).toBeGreaterThan(9_000);
        expect(ttl).toBeLessThanOrEqual(10_000);
      });
    });

    describe('getAndDelete', () => {
      it('returns the value once and removes it', async () => {
        const k = key();
        await kv.set(k, 'token', { ttlMs: 10_000 });
        expect(await kv.getAndDelete(k)).toBe('token');
        expect(await kv.getAndDelete(k)).toBeNull();
        expect(await kv.get(k)).toBeNull();
      });

      it('returns null for a missing key', async () => {
        expect(await kv.getAndDelete(key())).toBeNull();
      });
    });

    describe('increment', () => {
      it('counts from zero by 1 or by N, and get reads the count', async () => {
        const k = key();
        expect(await kv.increment(k)).toBe(1);
        expect(await kv.increment(k)).toBe(2);
        expect(await kv.increment(k, 5)).toBe(7);
        expect(await kv.increment(k, -3)).toBe(4);
        expect(await kv.get(k)).toBe('4');
      });

      it('sets the TTL on creation and never extends it', async () => {
        const k = key();
        expect(await kv.increment(k, 1, 300)).toBe(1);
        const first = await kv.ttl(k);
        expect(first).toBeGreaterThan(0);
        expect(first).toBeLessThanOrEqual(300);
        await sleep(100);
        expect(await kv.increment(k, 1, 300)).toBe(2);
        expect(await kv.ttl(k)).toBeLessThanOrEqual(210);
      });

      it('does not add a TTL to a counter created without one', async () => {
        const k = key();
        await kv.increment(k);
        await kv.increment(k, 1, TTL);
        expect(await kv.ttl(k)).toBe(Infinity);
      });

      it('does not mistake a counter back at its first value for a new one', async () => {
        const k = key();
        await kv.increment(k, 2, 1_000);
        expect(await kv.increment(k, -2)).toBe(0);
        expect(await kv.increment(k, 2, 60_000)).toBe(2);
        expect(await kv.ttl(k)).toBeLessThanOrEqual(1_000);
      });

      it('starts a new window after expiry', async () => {
        const k = key();
        for (let i = 0; i < 3; i++) await kv.increment(k, 1, TTL);
        expect(await kv.get(k)).toBe('3');
        await sleep(WAIT);
        expect(await kv.increment(k, 1, 5_000)).toBe(1);
        expect(await kv.ttl(k)).toBeGreaterThan(4_000);
      });
    });

    describe('ttl', () => {
      it('is null for a missing key, Infinity without expiry, the remaining ms otherwise', async () => {
        const [missing, forever, timed] = [key(), key(), key()];
        await kv.set(forever, 'v');
        await kv.set(timed, 'v', { ttlMs: 10_000 });
        expect(await kv.ttl(missing)).toBeNull();
        expect(await kv.ttl(forever)).toBe(Infinity);
        const ttl = await kv.ttl(timed);
        expect(ttl).toBeGreaterThan(9_000);
        expect(ttl).toBeLessThanOrEqual(10_000);
      });
    });

    describe('sets', () => {
      const members = async (k: string): Promise<string[]> => (await kv.setMembers(k)).sort();

      it('adds, de-duplicates and removes members', async () => {
        const k = key();
        expect(await kv.setMembers(k)).toEqual([]);
        await kv.setAdd(k, ['b', 'a']);
        await kv.setAdd(k, ['a', 'c']);
        expect(await members(k)).toEqual(['a', 'b', 'c']);
        await kv.setRemove(k, ['b', 'absent']);
        expect(await members(k)).toEqual(['a', 'c']);
        await kv.setRemove(k, ['a', 'c']);
        expect(await kv.setMembers(k)).toEqual([]);
      });

      it('expires the whole set', async () => {
        const k = key();
        await kv.setAdd(k, ['a', 'b'], TTL);
        expect(await members(k)).toEqual(['a', 'b']);
        await sleep(WAIT);
        expect(await kv.setMembers(k)).toEqual([]);
        await kv.setAdd(k, ['c']);
        expect(await kv.setMembers(k)).toEqual(['c']);
      });

      it('a TTL given after the set expired does not bring its old members back', async () => {
        const k = key();
        await kv.setAdd(k, ['a', 'b'], TTL);
        await sleep(WAIT);
        await kv.setAdd(k, ['c'], 10_000);
        expect(await kv.setMembers(k)).toEqual(['c']);
      });

      it('a set emptied by removals is gone: members added later do not inherit its lifetime', async () => {
        const k = key();
        await kv.setAdd(k, ['a'], TTL);
        await kv.setRemove(k, ['a']);
        await kv.setAdd(k, ['b']);
        await sleep(WAIT);
        expect(await kv.setMembers(k)).toEqual(['b']);
      });

      it('a TTL resets the lifetime of every member', async () => {
        const k = key();
        await kv.setAdd(k, ['a'], TTL);
        await kv.setAdd(k, ['b'], 10_000);
        await sleep(WAIT);
        expect(await members(k)).toEqual(['a', 'b']);
      });

      it('a member added without a TTL shares the set lifetime', async () => {
        const k = key();
        await kv.setAdd(k, ['a'], TTL);
        await kv.setAdd(k, ['b']);
        await sleep(WAIT);
        expect(await kv.setMembers(k)).toEqual([]);
      });
    });

    describe('batch', () => {
      it('applies sets, deletes and set changes in order, TTLs included', async () => {
        const [a, b, gone, set] = [key(), key(), key(), key('set')];
        await kv.set(gone, 'old');
        await kv.setAdd(set, ['x', 'y']);
        await kv.batch([
          { op: 'set', key: a, value: 'one', ttlMs: TTL },
          { op: 'set', key: b, value: 'two' },
          { op: 'delete', key: gone },
          { op: 'setAdd', key: set, members: ['z'] },
          { op: 'setRemove', key: set, members: ['x'] },
          // Later writes win over earlier ones to the same key.
          { op: 'set', key: b, value: 'three' },
          { op: 'delete', key: key('never-existed') },
        ]);
        expect(await kv.get(a)).toBe('one');
        expect(await kv.get(b)).toBe('three');
        expect(await kv.get(gone)).toBeNull();
        expect((await kv.setMembers(set)).sort()).toEqual(['y', 'z']);
        expect(await kv.ttl(b)).toBe(Infinity);
        await sleep(WAIT);
        expect(await kv.get(a)).toBeNull();
        expect(await kv.get(b)).toBe('three');
      });

      it('gives a set added in a batch its TTL', async () => {
        const set = key('set');
        await kv.batch([{ op: 'setAdd', key: set, members: ['a', 'b'], ttlMs: TTL }]);
        expect((await kv.setMembers(set)).sort()).toEqual(['a', 'b']);
        await sleep(WAIT);
        expect(await kv.setMembers(set)).toEqual([]);
      });

      it('accepts an empty batch', async () => {
        await kv.batch([]);
      });
    });

    describe('lists', () => {
      it('keeps the newest maxLength values and reads them newest first', async () => {
        const k = key();
        expect(await kv.listRange(k, 10)).toEqual([]);
        await kv.listPush(k, ['1', '2', '3'], { maxLength: 5 });
        expect(await kv.listRange(k, 10)).toEqual(['3', '2', '1']);
        await kv.listPush(k, ['4', '5', '6'], { maxLength: 5 });
        expect(await kv.listRange(k, 10)).toEqual(['6', '5', '4', '3', '2']);
        expect(await kv.listRange(k, 2)).toEqual(['6', '5']);
        expect(await kv.listRange(k, 0)).toEqual([]);
        await kv.listPush(k, [], { maxLength: 5 });
        expect(await kv.listRange(k, 10)).toEqual(['6', '5', '4', '3', '2']);
      });

      it('pushing more values than maxLength at once keeps the newest', async () => {
        const k = key();
        await kv.listPush(k, ['1', '2', '3', '4', '5', '6', '7'], { maxLength: 3 });
        expect(await kv.listRange(k, 10)).toEqual(['7', '6', '5']);
        await kv.listPush(k, ['8', '9', '10', '11'], { maxLength: 3 });
        expect(await kv.listRange(k, 10)).toEqual(['11', '10', '9']);
      });

      it('expires the whole list, and a push with a TTL renews it', async () => {
        const gone = key();
        await kv.listPush(gone, ['a', 'b'], { maxLength: 10, ttlMs: TTL });
        expect(await kv.listRange(gone, 10)).toEqual(['b', 'a']);
        await sleep(WAIT);
        expect(await kv.listRange(gone, 10)).toEqual([]);

        const renewed = key();
        await kv.listPush(renewed, ['a'], { maxLength: 10, ttlMs: TTL });
        await kv.listPush(renewed, ['b'], { maxLength: 10, ttlMs: 10_000 });
        await sleep(WAIT);
        expect(await kv.listRange(renewed, 10)).toEqual(['b', 'a']);
      });

      it('a value pushed without a TTL shares the list lifetime', async () => {
        const k = key();
        await kv.listPush(k, ['a'], { maxLength: 10, ttlMs: TTL });
        await kv.listPush(k, ['b'], { maxLength: 10 });
        await sleep(WAIT);
        expect(await kv.listRange(k, 10)).toEqual([]);
      });
    });

    describe('ping', () => {
      it('answers while open and throws once closed', async () => {
        await expect(kv.ping()).resolves.toBeUndefined();
        const extra = await open();
        await extra.store.ping();
        await extra.store.close();
        await expect(extra.store.ping()).rejects.toThrow();
        await extra.cleanup();
      });
    });

    describeKvConcurrency(open, key);
  });
}
