import type { ParsedIp } from '../../lib/ip.ts';
import type { ApiKeyActor } from './scopes.ts';

/** A key whose secret was checked against the database, ready for per-request checks. */
export interface VerifiedKey {
  actor: ApiKeyActor;
  /** Null: any address. */
  allows: ((ip: ParsedIp) => boolean) | null;
}

export interface ApiKeyCacheOptions {
  /** How long a verified key is trusted without asking the database again; 0 turns caching off. */
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Verified keys by secret hash, kept briefly so a key-authenticated request costs a hash
 * and a map lookup instead of a query. Revocation and deletion in this process drop
 * entries at once; another process's cache notices within `ttlMs` (docs/teams.md).
 *
 * A lookup that started before an invalidation must not put back what it read: every
 * invalidation bumps `generation`, and `set` only stores when it is unchanged.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: VerifiedKey; storedAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private gen = 0;

  constructor(options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.gen;
  }

  get(hash: string): VerifiedKey | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.key;
  }

  set(hash: string, key: VerifiedKey, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { key, storedAt: this.now() });
  }

  forgetKey(keyId: string): void {
    this.drop((a) => a.keyId === keyId);
  }

  forgetProject(projectId: string): void {
    this.drop((a) => a.projectId === projectId);
  }

  forgetWorkspace(workspaceId: string): void {
    this.drop((a) => a.workspaceId === workspaceId);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(match: (actor: ApiKeyActor) => boolean): void {
    this.gen++;
    for (const [hash, entry] of this.entries) if (match(entry.key.actor)) this.entries.delete(hash);
  }
}
