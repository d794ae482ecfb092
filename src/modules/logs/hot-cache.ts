import type { KvStore } from '../../ports/kv.ts';
import { decodeCached, encodeCached, type StoredEntry } from './entry.ts';

export interface HotCacheOptions {
  /** Entries kept per project (0: no hot cache). */
  entries: number;
  /** Entries older than this (by arrival) are not returned, and an idle project's list expires. */
  minutes: number;
}

/**
 * The newest entries of each project in the KV store (`source=kv`): a bounded list per
 * project, appended by the writer after each write and trimmed in the same step (the KV
 * port's listPush), read whole by queries. A cache: losing it loses nothing stored.
 */
export class LogHotCache {
  constructor(
    private readonly kv: KvStore,
    readonly options: HotCacheOptions,
  ) {}

  get enabled(): boolean {
    return this.options.entries > 0;
  }

  private key(projectId: string): string {
    return `logs:hot:${projectId}`;
  }

  /** Appends entries (oldest first); only the newest `entries` can survive, so only those are written. */
  async push(projectId: string, entries: readonly StoredEntry[]): Promise<void> {
    if (!this.enabled || entries.length === 0) return;
    const newest = entries.slice(-this.options.entries);
    await this.kv.listPush(this.key(projectId), newest.map(encodeCached), { maxLength: this.options.entries, ttlMs: this.options.minutes * 60_000 });
  }

  /** The cached entries still within the window, in no particular order. */
  async read(projectId: string, now = Date.now()): Promise<StoredEntry[]> {
    if (!this.enabled) return [];
    const since = now - this.options.minutes * 60_000;
    const values = await this.kv.listRange(this.key(projectId), this.options.entries);
    const out: StoredEntry[] = [];
    for (const v of values) {
      const e = decodeCached(v);
      if (e && e.receivedAt >= since) out.push(e);
    }
    return out;
  }
}
