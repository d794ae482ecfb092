export interface TtlCacheOptions {
  /** How long an entry is trusted; 0 turns caching off (every `get` misses). */
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * A short-lived read-through cache for values whose source of truth is a store other
 * processes may write too (sessions, users, API keys). Writes in this process drop entries
 * at once; another process's change is seen within `ttlMs`.
 *
 * A read that started before an invalidation must not put back what it read: every
 * invalidation bumps `generation`, and `set` only stores when the generation the caller
 * read before its lookup is still current.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; storedAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private gen = 0;

  constructor(options: TtlCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.gen;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, storedAt: this.now() });
  }

  /**
   * The cached value, or `load()`'s answer, kept unless an invalidation raced the load.
   * Misses (`null`, `undefined`) are never kept: what another process creates shows at once.
   */
  async getOrLoad<R extends V | null | undefined>(key: K, load: () => Promise<R>): Promise<V | R> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const generation = this.gen;
    const value = await load();
    if (value !== null && value !== undefined) this.set(key, value as V, generation);
    return value;
  }

  delete(key: K): void {
    this.gen++;
    this.entries.delete(key);
  }

  deleteWhere(match: (value: V, key: K) => boolean): void {
    this.gen++;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }
}
