import type { ParsedIp } from '../../lib/ip.ts';
import { TtlCache, type TtlCacheOptions } from '../../lib/ttl-cache.ts';
import type { ApiKeyActor } from './scopes.ts';

/** A key whose secret was checked against the database, ready for per-request checks. */
export interface VerifiedKey {
  actor: ApiKeyActor;
  /** Null: any address. */
  allows: ((ip: ParsedIp) => boolean) | null;
}

export type ApiKeyCacheOptions = TtlCacheOptions;

/**
 * Verified keys by secret hash, kept briefly so a key-authenticated request costs a hash
 * and a map lookup instead of a query. Revocation and deletion in this process drop
 * entries at once; another process's cache notices within `ttlMs` (docs/teams.md).
 */
export class ApiKeyCache extends TtlCache<string, VerifiedKey> {
  forgetKey(keyId: string): void {
    this.deleteWhere((k) => k.actor.keyId === keyId);
  }

  forgetProject(projectId: string): void {
    this.deleteWhere((k) => k.actor.projectId === projectId);
  }

  forgetWorkspace(workspaceId: string): void {
    this.deleteWhere((k) => k.actor.workspaceId === workspaceId);
  }
}
