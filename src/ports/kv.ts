/**
 * The key-value store: sessions, OAuth state, single-use tokens, rate-limit counters and the
 * hot log cache. Embedded: a SQLite file; scale-out: Redis.
 *
 * Concurrency rules every adapter guarantees, across processes sharing one store:
 * - `getAndDelete`: of N concurrent callers for one live key, exactly one gets the value;
 *   the others get null. This is how single-use credentials are consumed.
 * - `set` with `ifAbsent`: of N concurrent callers, exactly one returns true.
 * - `increment`: atomic read-modify-write; N concurrent increments by 1 raise the value by N.
 *   The TTL is set only when the call creates the key (a fixed window), never extended.
 * - `listPush`: the append and the trim to `maxLength` happen together; readers never see
 *   more than `maxLength` items.
 * - `batch`: the writes apply together, in order: a reader sees all of them or none, and two
 *   concurrent batches never interleave (one SQLite transaction, one Redis MULTI).
 * - Expired keys are never returned, whether or not a background sweep has removed them.
 *
 * Keys are opaque strings; adapters may prefix them. Values are strings (callers JSON-encode).
 */
export interface KvStore {
  readonly backend: 'sqlite' | 'redis';

  get(key: string): Promise<string | null>;
  /** Returns false only when `ifAbsent` is set and a live value already exists. */
  set(key: string, value: string, options?: KvSetOptions): Promise<boolean>;
  /** Returns whether a live key was removed. */
  delete(key: string): Promise<boolean>;
  /** Reads and removes in one atomic step: exactly one concurrent caller wins. */
  getAndDelete(key: string): Promise<string | null>;
  /** Adds `by` (default 1) and returns the new value; `ttlMs` applies when the key is created. */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** Remaining lifetime in ms; null for a missing key, Infinity for one without expiry. */
  ttl(key: string): Promise<number | null>;

  /** Adds members to a set; `ttlMs` (re)sets the whole set's lifetime. */
  setAdd(key: string, members: string[], ttlMs?: number): Promise<void>;
  setRemove(key: string, members: string[]): Promise<void>;
  setMembers(key: string): Promise<string[]>;

  /**
   * Several writes as one step (e.g. a session record, its refresh state and the user's
   * session set). Cheaper than the writes one by one: one transaction or round trip.
   */
  batch(writes: readonly KvWrite[]): Promise<void>;

  /** Appends values (oldest first), keeping only the newest `maxLength`. */
  listPush(key: string, values: string[], options: { maxLength: number; ttlMs?: number }): Promise<void>;
  /** The newest `limit` values, newest first. */
  listRange(key: string, limit: number): Promise<string[]>;

  /** Throws when the store does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One write of `KvStore.batch`, with the meaning of the method of the same name. */
export type KvWrite =
  | { op: 'set'; key: string; value: string; ttlMs?: number }
  | { op: 'delete'; key: string }
  | { op: 'setAdd'; key: string; members: string[]; ttlMs?: number }
  | { op: 'setRemove'; key: string; members: string[] };

export interface KvSetOptions {
  ttlMs?: number;
  /** Write only when no live value exists (compare-and-set on absence). */
  ifAbsent?: boolean;
}
